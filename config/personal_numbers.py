"""Personal numbers kept out of free text: one check for services, forms and the API.

Household notes, follow-up notes, claim justifications and decision reasons
describe a household's situation; they must never hold a resident or alien
registration number (주민등록번호·외국인등록번호) or a phone number. People
write those numbers in many shapes, so the text is first normalised:

- NFKC (full-width digits become ASCII), and every other Unicode decimal digit
  becomes its ASCII digit;
- invisible characters (format characters such as zero-width spaces, U+2060,
  U+FEFF and the soft hyphen, and combining marks) are removed;
- digits separated only by spaces, dashes of any kind (Unicode category Pd,
  the minus signs), dots, middle dots, slashes or brackets form one run, split
  into its digit groups.

A number is found when consecutive groups of a run, joined, are exactly one of:

- a registration number: 13 digits, the 7th from 1 to 8 (YYMMDD + 7 digits);
- a mobile number 010/011/016/017/018/019 + 7 or 8 digits;
- a landline: 02 + 7 or 8 digits, an area code 031 to 064 or 070 + 7 or 8 digits;
- a representative number 15xx/16xx/18xx + 4 digits, unless the run is an
  amount in won ("15000000원");

national numbers also with the country code in front (+82, 82 or 0082, with
or without the leading 0 after it). Joining whole groups only is what keeps
ordinary notes free: dates (2026-12-02, 2026.12.02), amounts (1,234,567원: a
comma ends a run), quantities and ten-digit region codes (3017000000: it does
not start with 0) are never numbers of a person.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.exceptions import InvalidRequest

RRN = "rrn"
PHONE = "phone"

MESSAGES = {
    RRN: _(
        "This looks like a resident or alien registration number. "
        "Never write personal identification numbers here."
    ),
    PHONE: _("This looks like a phone number. Never write phone numbers here."),
}

#: Characters that may stand between the digits of one number.
_SEPARATORS = frozenset(".·‧・()[]/\u2212\u2796\ufe63\uff0d")
_REGISTRATION = re.compile(r"[0-9]{6}[1-8][0-9]{6}", re.ASCII)
_PHONE = re.compile(
    r"01[016789][0-9]{7,8}"  # mobile
    r"|02[0-9]{7,8}"  # Seoul
    r"|0[3-6][0-9][0-9]{7,8}"  # area codes 031 to 064
    r"|070[0-9]{7,8}",  # internet phones
    re.ASCII,
)
_REPRESENTATIVE = re.compile(r"1[568][0-9]{6}", re.ASCII)
#: Longer than any number above: joining more groups cannot match.
_LONGEST = 15


def _is_separator(char: str) -> bool:
    return char.isspace() or char in _SEPARATORS or unicodedata.category(char) == "Pd"


def _normalise(text: str) -> str:
    out = []
    for char in unicodedata.normalize("NFKC", text):
        category = unicodedata.category(char)
        if category in ("Cf", "Mn", "Me"):
            continue  # invisible: it must not split a number
        if category == "Nd":
            char = str(unicodedata.decimal(char))
        out.append(char)
    return "".join(out)


def _runs(text: str) -> list[tuple[list[str], str]]:
    """Each run of digit groups, with the text right after it."""
    runs: list[tuple[list[str], str]] = []
    groups: list[str] = []
    digits = ""
    pending_separator = False
    for index, char in enumerate(text + "\0"):
        if "0" <= char <= "9":
            if pending_separator and digits:
                groups.append(digits)
                digits = ""
            pending_separator = False
            digits += char
        elif _is_separator(char) and (digits or groups):
            pending_separator = True
        else:
            if digits:
                groups.append(digits)
            if groups:
                runs.append((groups, text[index:].lstrip()))
            groups, digits, pending_separator = [], "", False
    return runs


def _national(digits: str) -> str:
    for prefix in ("0082", "82"):
        if digits.startswith(prefix):
            rest = digits[len(prefix) :]
            return rest if rest.startswith("0") else "0" + rest
    return digits


def _kind_of(digits: str, *, amount: bool, registration_shaped: bool) -> str | None:
    # 13 digits can be both (82 + 010 + 8 digits; someone born in 1982): the
    # way they are grouped says which, for the message only — both are refused.
    if registration_shaped and _REGISTRATION.fullmatch(digits):
        return RRN
    if _PHONE.fullmatch(_national(digits)):
        return PHONE
    if _REGISTRATION.fullmatch(digits):
        return RRN
    if not amount and _REPRESENTATIVE.fullmatch(digits):
        return PHONE
    return None


def personal_numbers(text: str | None) -> Iterator[tuple[str, str]]:
    """Every personal number in `text`, in order, as (RRN or PHONE, its digits;
    a phone number without its country code). For checks that let some
    numbers through, e.g. an office's number in a message between offices."""
    if not text:
        return
    for groups, after in _runs(_normalise(text)):
        amount = after.startswith("원")
        for start in range(len(groups)):
            joined, sizes = "", []
            for group in groups[start:]:
                joined += group
                sizes.append(len(group))
                if len(joined) > _LONGEST:
                    break
                shaped = sizes in ([13], [6, 7])
                kind = _kind_of(joined, amount=amount, registration_shaped=shaped)
                if kind is not None:
                    yield kind, _national(joined) if kind == PHONE else joined
                    break


def find_personal_number(text: str | None) -> str | None:
    """RRN or PHONE for the first personal number in `text`, else None."""
    for kind, _digits in personal_numbers(text):
        return kind
    return None


def validate_no_personal_numbers(value: str | None) -> None:
    """A Django validator (forms and DRF serializers both run it)."""
    kind = find_personal_number(value)
    if kind is not None:
        raise ValidationError(MESSAGES[kind], code="personal_number")


def refuse_personal_numbers(*, text: str | None, field: str) -> None:
    """For services: a personal number in `text` is a 400 naming `field`."""
    kind = find_personal_number(text)
    if kind is not None:
        message = str(MESSAGES[kind])
        raise InvalidRequest(message, fields={field: [message]})
