"""The reason field of an irreversible action (reject, cancel, withdraw, close a
case, commit funds), one definition for every app's forms.

A reason is kept in the audit log and shown in the object's history, so it is
checked like every other free text others read: no personal numbers
(`config.personal_numbers`), at most `REASON_MAX_LENGTH` characters. Where the
action expects a reason it is required, and a blank one is refused.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.personal_numbers import validate_no_personal_numbers

REASON_MAX_LENGTH = 1000


def validate_reason_length(value: str | None) -> None:
    if value and len(value) > REASON_MAX_LENGTH:
        raise ValidationError(
            _("A reason is at most %(limit)s characters; this one has %(count)s.")
            % {"limit": f"{REASON_MAX_LENGTH:,}", "count": f"{len(value):,}"},
            code="max_length",
        )


def reason_field(*, required: bool, label: str | None = None) -> forms.CharField:
    """A reason: stripped, so that spaces alone count as none."""
    return forms.CharField(
        label=label or _("Reason"),
        required=required,
        validators=[validate_reason_length, validate_no_personal_numbers],
        error_messages={
            "required": _("Write the reason. It is kept in the history and cannot be changed.")
        },
    )


class ReasonForm(forms.Form):
    """An action whose reason may be left out (approve, commit funds)."""

    reason = reason_field(required=False)


class RequiredReasonForm(forms.Form):
    """An action that cannot go without its reason (reject, cancel, withdraw, close)."""

    reason = reason_field(required=True)


def confirm_dialog_id(action: str, key: object) -> str:
    """The id of the confirmation dialog of `action` on the object `key`
    (templates/components/confirm_action.html builds the same)."""
    return f"confirm-{action}-{key}"


def reason_refusal(
    form: forms.Form, action: str, key: object, *, field: str = "reason"
) -> dict[str, str]:
    """What a confirmation dialog shows after its form was refused: the errors of
    the reason (or of the form), and the text as it was sent."""
    errors = form.errors.get(field) or [e for errs in form.errors.values() for e in errs]
    return {
        "dialog": confirm_dialog_id(action, key),
        "error": " ".join(str(e) for e in errors),
        "reason": str(form.data.get(field, "")),
    }
