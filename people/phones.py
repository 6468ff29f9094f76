"""The office telephone number a user shows to other regions.

Only an office's number belongs on a profile that other districts read: a
landline (02, 031–064), an internet office line (070) or a representative
number (15xx, 16xx, 18xx). A mobile number (010, 011, 016–019) is a person's
own and is refused with a message saying why.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE = re.compile(r"^01[016-9]")
# Seoul's 02 has a 3- or 4-digit exchange; the other area codes and 070 too.
SEOUL = re.compile(r"^(02)(\d{3,4})(\d{4})$")
AREA = re.compile(r"^(0(?:3[1-3]|4[1-4]|5[1-5]|6[1-4]|70))(\d{3,4})(\d{4})$")
REPRESENTATIVE = re.compile(r"^(1[568]\d{2})(\d{4})$")
# Digits joined by spaces, dashes, dots or brackets; nothing else.
ALLOWED = re.compile(r"^[\d\s\-.()]+$")


def office_phone_normalise(value: str) -> str:
    """The number written as 042-123-4567 / 1588-1234, or ValidationError."""
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return ""
    if not ALLOWED.match(text):
        raise ValidationError(
            _("Enter an office number such as 042-123-4567 or 1588-1234."), code="invalid"
        )
    digits = re.sub(r"\D", "", text)
    if MOBILE.match(digits):
        raise ValidationError(
            _(
                "Enter your office's number, not a mobile number: other regions see this "
                "number, so only office numbers are shown."
            ),
            code="mobile",
        )
    for pattern in (SEOUL, AREA, REPRESENTATIVE):
        match = pattern.match(digits)
        if match:
            return "-".join(match.groups())
    raise ValidationError(
        _("Enter an office number such as 042-123-4567 or 1588-1234."), code="invalid"
    )


def validate_office_phone(value: str) -> None:
    office_phone_normalise(value)
