"""The one registry of transaction kinds.

Every transaction has a kind ("grant", "hold_settle", "claim_award" …),
stored by its name in `Transaction.kind`. A kind is registered once, with the
name the screens show for it: the ledger registers its own below, and an app
that posts kinds of its own registers them in its AppConfig.ready() (through
`register`, or `ledger.labels.register_kind_labels` for several at once).
`ledger.services.ledger_post` refuses a kind that is not registered, so
every transaction in the books has a kind every statement can name.

The stored names never change: they are in the books, and in each
transaction's content hash. tests/ledger/test_labels.py checks that every
kind any code posts is registered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

#: Lower-case words joined by "_", at most the 32 characters of `Transaction.kind`.
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


@dataclass(frozen=True)
class TransactionKind:
    name: str
    label: Promise | str


_REGISTRY: dict[str, TransactionKind] = {}

#: The registered kinds by name, read-only.
REGISTRY: Mapping[str, TransactionKind] = MappingProxyType(_REGISTRY)


def _source(label: Promise | str) -> str:
    """The label as written, before translation."""
    with translation.override(None):
        return str(label)


def register(kind: str, label: Promise | str) -> str:
    """Register `kind` with the name the screens show for it; returns `kind`.

    Registering a kind again with the same label (as written, untranslated)
    changes nothing (an app's ready() may run more than once); with another
    label it is an error, as is a name that is not lower-case words joined by
    "_" or longer than the column."""
    if not isinstance(kind, str) or not _NAME.fullmatch(kind):
        raise ImproperlyConfigured(
            f"transaction kind {kind!r}: lower-case letters, digits and _, at most 32"
        )
    existing = _REGISTRY.get(kind)
    if existing is not None:
        if _source(existing.label) != _source(label):
            raise ImproperlyConfigured(
                f"transaction kind {kind!r} is already registered as {existing.label!r}"
            )
        return kind
    _REGISTRY[kind] = TransactionKind(kind, label)
    return kind


def is_registered(kind: str) -> bool:
    return isinstance(kind, str) and kind in _REGISTRY


def label(kind: str) -> str:
    """The kind's name in the current language (an unknown kind as it is stored)."""
    found = _REGISTRY.get(kind)
    return str(found.label) if found is not None else kind


# The ledger's own kinds (ledger.services.Kind).
GRANT = register("grant", gettext_lazy("Grant"))
TRANSFER = register("transfer", gettext_lazy("Transfer"))
HOLD = register("hold", gettext_lazy("Hold"))
HOLD_SETTLE = register("hold_settle", gettext_lazy("Hold settled"))
HOLD_RELEASE = register("hold_release", gettext_lazy("Hold released"))
REVERSAL = register("reversal", gettext_lazy("Reversal"))
