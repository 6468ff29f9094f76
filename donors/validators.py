"""Validation of Korean business registration numbers (사업자등록번호)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def normalize_brn(value: str) -> str:
    """Digits only: "123-45-67890" → "1234567890"."""
    return "".join(ch for ch in str(value) if ch.isdigit())


def brn_is_valid(value: str) -> bool:
    """Ten digits whose last is the check digit of the National Tax Service rule."""
    digits = normalize_brn(value)
    if len(digits) != 10 or len(str(value).replace("-", "").strip()) != 10:
        return False
    numbers = [int(d) for d in digits]
    total = sum(n * w for n, w in zip(numbers[:9], _WEIGHTS, strict=True))
    total += (numbers[8] * 5) // 10
    return (10 - total % 10) % 10 == numbers[9]


def validate_brn(value: str) -> None:
    if not brn_is_valid(value):
        raise ValidationError(
            _(
                "This is not a valid business registration number (10 digits, e.g. 123-45-67890, "
                "with a correct check digit)."
            ),
            code="invalid_brn",
        )
