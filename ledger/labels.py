"""Names of transaction kinds as the screens show them.

The names live in the one registry of kinds, `ledger.kinds`; these two
functions are its front for the screens and for apps that register several
kinds at once in their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise

from ledger import kinds


def register_kind_labels(labels: Mapping[str, Promise | str]) -> None:
    """Register each kind with its name (`ledger.kinds.register`)."""
    for kind, label in labels.items():
        kinds.register(kind, label)


def kind_label(kind: str) -> str:
    """The kind's name in the current language (an unknown kind as it is stored)."""
    return kinds.label(kind)
