"""Names of transaction kinds as the screens show them.

The ledger names its own kinds; an app that posts kinds of its own registers
their names in its AppConfig.ready(), so that every statement (the finance
screens and a region's wallet page alike) names every kind.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

KIND_LABELS: dict[str, Promise | str] = {
    "grant": gettext_lazy("Grant"),
    "transfer": gettext_lazy("Transfer"),
    "hold": gettext_lazy("Hold"),
    "hold_settle": gettext_lazy("Hold settled"),
    "hold_release": gettext_lazy("Hold released"),
    "reversal": gettext_lazy("Reversal"),
}


def register_kind_labels(labels: Mapping[str, Promise | str]) -> None:
    KIND_LABELS.update(labels)


def kind_label(kind: str) -> str:
    """The kind's name in the current language (an unknown kind as it is stored)."""
    return str(KIND_LABELS.get(kind, kind))
