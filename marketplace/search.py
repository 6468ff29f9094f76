"""Text search over listings: `icontains`, with an indexable pre-filter for
two-character words on PostgreSQL.

`icontains` is UPPER(column::text) LIKE UPPER('%word%'). The trigram indexes of
migration 0002 serve words of three or more characters; a two-syllable Korean
word ("지원", "나눔") has no trigram, so PostgreSQL had to read the listings one
by one. Migration 0004 adds the function `nanum_bigrams(text)` (the
two-character substrings of a text, as text[]) and GIN indexes on
`nanum_bigrams(UPPER(title::text))` and `nanum_bigrams(UPPER(description))`.
A column that contains the word contains every bigram of it, so

    nanum_bigrams(UPPER(column)) @> nanum_bigrams(UPPER('word'))

holds for every match: it is added beside `icontains` for two-character words,
lets the planner read those indexes, and `icontains` stays the exact check (a
text holding "지" and "원" apart passes the pre-filter, not the LIKE). The word's
bigrams are computed by the database from a constant, so the planner folds them
before it plans. SQLite has neither the function nor the indexes: there the
search is `icontains` alone.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, Func, Q, TextField, Value
from django.db.models.functions import Cast, Upper

#: Words of this many characters get the bigram pre-filter; longer ones have
#: trigrams (and the trigram indexes), a single character has no bigram.
BIGRAM_WORD_LENGTH = 2


class Bigrams(Func):
    """nanum_bigrams(UPPER(expression::text)): the expression the indexes hold."""

    function = "nanum_bigrams"
    output_field = TextField()  # text[]; only ever compared by BigramsContain

    def __init__(self, expression, **extra) -> None:
        super().__init__(Upper(Cast(expression, TextField())), **extra)


class BigramsContain(Func):
    """`left @> right` between two Bigrams (true when right's bigrams are all in left)."""

    arg_joiner = " @> "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def uses_bigrams(word: str) -> bool:
    return connection.vendor == "postgresql" and len(word) == BIGRAM_WORD_LENGTH


def text_search(word: str, fields: tuple[str, ...] = ("title", "description")) -> Q:
    """Listings whose `fields` contain `word` (case-insensitive), with the bigram
    pre-filter when it applies."""
    exact = Q()
    for name in fields:
        exact |= Q(**{f"{name}__icontains": word})
    return exact & bigram_prefilter(word, fields)


def bigram_prefilter(word: str, fields: tuple[str, ...] = ("title", "description")) -> Q:
    """The indexable necessary condition for `word` in any of `fields`, or an
    empty Q where it does not apply (never a filter on its own)."""
    if not uses_bigrams(word):
        return Q()
    pattern = Bigrams(Value(word))
    condition = Q()
    for name in fields:
        condition |= Q(BigramsContain(Bigrams(name), pattern))
    return condition
