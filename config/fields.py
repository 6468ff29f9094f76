"""Pieces every app's API shares: whole-number ids and the API's field names in errors.

Kept apart from config.api, which DRF's settings import lazily.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import django_filters
from django import forms
from rest_framework import serializers

from config.exceptions import DomainError

#: The largest primary key the database can hold; larger ids are refused with 400.
MAX_ID = 2**63 - 1


class IdFilter(django_filters.Filter):
    """A whole-number id: "1.5", "abc" or a number beyond any key answer 400."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id that must be a whole number: 1.5 or "2.0" is refused, never rounded to
    a row; an id beyond any key is a row that does not exist (not a database error)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not (
            isinstance(data, int) or (isinstance(data, str) and data.isascii() and data.isdigit())
        ):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= int(data) <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


@contextmanager
def api_field_names(renames: dict[str, str]) -> Iterator[None]:
    """Services name the model's fields in a DomainError's `fields`; the API names
    some differently: this renames them on the way out."""
    try:
        yield
    except DomainError as error:
        fields = error.extra.get("fields")
        if isinstance(fields, dict):
            error.extra["fields"] = {renames.get(k, k): v for k, v in fields.items()}
        raise
