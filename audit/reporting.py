"""Error reports never show household notes.

Django's error page (DEBUG) and the error e-mails to ADMINS print every local
variable of every frame, the POST data and the exception's message. A household's
notes (and a follow-up's note) may be in any of them: a Household instance, a
form's cleaned data, a serializer's validated data, the request body. This
reporter first gathers the notes present anywhere in the traceback, then blanks
every value that contains one of them, and every POST field named like a note.

Unlike Django's own filter it is active with DEBUG on too: development pages
are screenshotted and pasted into chats more often than production ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import FrameType, TracebackType
from typing import Any

from django.db.models import Model, QuerySet
from django.forms import BaseForm
from django.utils.datastructures import MultiValueDict
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

#: Shorter texts are not hunted for in the report: they would blank half of it.
MIN_SECRET_LENGTH = 3
_MAX_DEPTH = 4
#: The models whose free text is personal data, by label (the audit app sits
#: below the marketplace, so it names them rather than importing them).
NOTE_FIELDS = {"marketplace.Household": "notes", "marketplace.FollowUp": "note"}


def is_note_field(name: Any) -> bool:
    """`notes`, `note`, and prefixed form fields such as `fu12-note`."""
    return isinstance(name, str) and (name in ("notes", "note") or name.endswith("-note"))


def _add(text: Any, found: set[str]) -> None:
    if isinstance(text, str) and len(text.strip()) >= MIN_SECRET_LENGTH:
        found.add(text.strip())
        # A note is also shown line by line (and escaped) in places; its lines count too.
        found.update(
            line.strip() for line in text.splitlines() if len(line.strip()) >= MIN_SECRET_LENGTH
        )


def gather_notes(value: Any, found: set[str], depth: int = 0) -> None:
    """Add to `found` every note text reachable from `value` without a database query."""
    if depth > _MAX_DEPTH or value is None or isinstance(value, (str, bytes, int, float)):
        return
    if isinstance(value, Model) and value._meta.label in NOTE_FIELDS:
        _add(value.__dict__.get(NOTE_FIELDS[value._meta.label]), found)
        return
    if isinstance(value, MultiValueDict):
        for key, values in value.lists():
            for item in values:
                if is_note_field(key):
                    _add(item, found)
                else:
                    gather_notes(item, found, depth + 1)
        return
    if isinstance(value, Mapping):
        for key, item in list(value.items()):
            if is_note_field(key):
                _add(item, found)
            else:
                gather_notes(item, found, depth + 1)
        return
    if isinstance(value, QuerySet):
        gather_notes(value._result_cache or [], found, depth + 1)
        return
    if isinstance(value, (list, tuple, set, frozenset)):
        for item in list(value)[:1000]:
            gather_notes(item, found, depth + 1)
        return
    if isinstance(value, BaseForm):
        gather_notes(value.data, found, depth + 1)
        gather_notes(getattr(value, "cleaned_data", None), found, depth + 1)
        return
    # A DRF request's parsed body and a serializer's data, read only when already there.
    for attribute in ("_full_data", "initial_data", "_validated_data", "_data"):
        held = value.__dict__.get(attribute) if hasattr(value, "__dict__") else None
        if isinstance(held, (Mapping, list)):
            gather_notes(held, found, depth + 1)


def _frames(tb: TracebackType | None) -> Iterable[FrameType]:
    # From the frame that caught the exception (Django's handler) down to the one that
    # raised it: the view and everything it called, where a household's data lives.
    while tb is not None:
        yield tb.tb_frame
        tb = tb.tb_next


def contains_secret(text: str, secrets: Iterable[str]) -> bool:
    return any(secret in text for secret in secrets)


class HouseholdNotesFilter(SafeExceptionReporterFilter):
    """Blanks POST fields named like notes, and any variable holding one of `secrets`."""

    def __init__(self, secrets: set[str] | None = None) -> None:
        super().__init__()
        self.secrets = secrets or set()

    def is_active(self, request) -> bool:
        return True

    def _cleanse_notes(self, multivaluedict: MultiValueDict) -> MultiValueDict:
        cleansed = multivaluedict.copy()
        for key in list(cleansed):
            if is_note_field(key) or contains_secret(str(cleansed.getlist(key)), self.secrets):
                cleansed[key] = self.cleansed_substitute
        return cleansed

    def get_cleansed_multivaluedict(self, request, multivaluedict):
        return self._cleanse_notes(super().get_cleansed_multivaluedict(request, multivaluedict))

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return self._cleanse_notes(super().get_post_parameters(request))

    def get_traceback_frame_variables(self, request, tb_frame):
        cleansed = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if is_note_field(name) or (
                self.secrets and contains_secret(_safe_repr(value), self.secrets)
            ):
                value = self.cleansed_substitute
            cleansed.append((name, value))
        return cleansed


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # a broken __repr__ must not break the error report
        return ""


class HouseholdNotesExceptionReporter(ExceptionReporter):
    """DEFAULT_EXCEPTION_REPORTER: the error page and the error e-mails."""

    def get_traceback_data(self) -> dict[str, Any]:
        secrets: set[str] = set()
        if self.request is not None:
            gather_notes(getattr(self.request, "POST", None), secrets)
        for frame in _frames(self.tb):
            for value in list(frame.f_locals.values()):
                gather_notes(value, secrets)
        # A filter of this report's own: the default one is shared by every request.
        self.filter = HouseholdNotesFilter(secrets)
        data = super().get_traceback_data()
        for key in ("exception_value", "exception_notes"):
            if key in data and contains_secret(str(data[key]), secrets):
                data[key] = self.filter.cleansed_substitute
        for frame in data.get("frames", []):
            if "vars" in frame:
                frame["vars"] = [
                    (name, self.filter.cleansed_substitute)
                    if contains_secret(str(text), secrets)
                    else (name, text)
                    for name, text in frame["vars"]
                ]
        return data
