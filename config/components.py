"""{% load components %}: what the shared templates in templates/components/ need.

Registered as the template library "components" in settings.TEMPLATES.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def described_widget(field: BoundField) -> SafeString:
    """The field's widget, pointing `aria-describedby` at the help text and the
    error messages that templates/components/field.html writes next to it
    (`<id>-help`, `<id>-error`), so that a screen reader reads them with the field,
    and marked `aria-invalid="true"` while it has errors."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}-help")
    if field.errors:
        ids.append(f"{field.auto_id}-error")
    attrs: dict[str, str] = {}
    if ids and field.auto_id:
        attrs["aria-describedby"] = " ".join(ids)
    if field.errors:
        attrs["aria-invalid"] = "true"
    html = field.as_widget(attrs=attrs or None)
    if field.field.show_hidden_initial:
        html += field.as_hidden(only_initial=True)
    return html


@register.simple_tag(takes_context=True)
def page_query(context: dict[str, Any], number: int, param: str = "page", **extra: Any) -> str:
    """The current query string with page `number` in `param` and the `extra`
    values (an empty one is left out), the other filters kept; for
    templates/components/pagination.html."""
    params = context["request"].GET.copy()
    params[param] = number
    for name, value in extra.items():
        if value:
            params[name] = value
    return "?" + params.urlencode()


#: Query parameters that belong to a page view and not to what it shows.
_NOT_FILTERS = ("page", "format", "part", "dongs_for")


@register.simple_tag(takes_context=True)
def export_query(context: dict[str, Any], file_format: str) -> str:
    """The current query string (its filters, not the page) with `format`, for
    templates/components/export_links.html."""
    params = context["request"].GET.copy()
    for name in _NOT_FILTERS:
        params.pop(name, None)
    params["format"] = file_format
    return "?" + params.urlencode()
