"""Typed readers for settings that come from the environment.

Every setting the project reads from the environment goes through one of
these helpers, so a wrong value stops the process at start-up with a message
that names the variable, instead of surfacing later as a strange behaviour.
"""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None:
        result = default
    else:
        try:
            result = int(value.strip())
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None
    if minimum is not None and result < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {result}")
    return result


def env_decimal(
    name: str, default: str, *, minimum: Decimal | None = None, maximum: Decimal | None = None
) -> Decimal:
    value = os.environ.get(name, default)
    try:
        result = Decimal(value.strip())
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name} must be a decimal number, got {value!r}") from None
    if not result.is_finite():
        raise ImproperlyConfigured(f"{name} must be a finite number, got {value!r}")
    if minimum is not None and result < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {result}")
    if maximum is not None and result > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {result}")
    return result


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int_list(name: str, default: list[int], *, minimum: int | None = None) -> list[int]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    result = []
    for item in value.split(","):
        try:
            number = int(item.strip())
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be whole numbers separated by commas, got {value!r}"
            ) from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name} values must be at least {minimum}, got {number}")
        result.append(number)
    return result


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value
