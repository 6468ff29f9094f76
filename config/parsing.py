"""The API's JSON parser and renderers: DRF's, with guards that turn malformed
input into a 400 `invalid` instead of a server error.

Kept apart from config/api.py, which imports DRF's views: the settings name
these classes, and DRF's views read the settings when they are imported.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, renderers

#: The deepest nesting of arrays and objects a JSON body may have. No request of
#: this API nests more than three levels; a deep body is refused before it can
#: exhaust the interpreter's recursion (json, the serializers, the renderer).
MAX_JSON_DEPTH = 32


def is_lone_surrogate_free(text: str) -> bool:
    """False when `text` holds a lone surrogate (U+D800 to U+DFFF), which a JSON
    escape such as "\\ud800" can produce but which is no character: it cannot be
    encoded as UTF-8, so neither the database nor a response could hold it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def too_deep_or_not_text(data: Any) -> str | None:
    """Why a parsed JSON document is refused, or None. Walks it without recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not is_lone_surrogate_free(value):
                return str(_("The request contains text that is not valid Unicode."))
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                return str(
                    _("The request is nested more than %(depth)s levels deep.")
                    % {"depth": MAX_JSON_DEPTH}
                )
            if isinstance(value, dict):
                stack.extend((key, depth) for key in value)
                stack.extend((item, depth + 1) for item in value.values())
            else:
                stack.extend((item, depth + 1) for item in value)
    return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing with 400 `invalid` what it would otherwise let
    through to a server error: nesting deeper than MAX_JSON_DEPTH (a thousand
    levels overflow Python's recursion) and lone surrogates in any string."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                _("The request is nested more than %(depth)s levels deep.")
                % {"depth": MAX_JSON_DEPTH},
                code="invalid",
            ) from None
        problem = too_deep_or_not_text(data)
        if problem:
            raise exceptions.ParseError(problem, code="invalid")
        return data


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer that never fails on text it cannot encode as UTF-8
    (a lone surrogate echoed in an error message): such text is written as
    ASCII JSON escapes instead of crashing the response."""

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            fallback = renderers.JSONRenderer()
            fallback.ensure_ascii = True
            return fallback.render(data, accepted_media_type, renderer_context)


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """The browsable API, encoding its page itself so that text which is not
    valid Unicode becomes a replacement character rather than a server error."""

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        page = super().render(data, accepted_media_type, renderer_context)
        if isinstance(page, str):
            return page.encode("utf-8", errors="replace")
        return page
