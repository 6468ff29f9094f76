"""{% load korean %}: Korean particles and number formats in templates."""

from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import get_language

from config import korean

register = template.Library()


@register.filter
def josa(word: object, pair: str) -> str:
    """{{ title|josa:"을/를" }}"""
    return korean.josa(str(word), pair)


@register.filter(is_safe=True)
def particles(text: object) -> str:
    """{{ message|particles }}: resolves "을(를)"-style pairs in a finished message."""
    return korean.particles(str(text))


@register.filter
def business_number(number: object) -> str:
    """{{ donor.business_number|business_number }} → 124-81-00998"""
    return korean.business_number(str(number))


@register.filter
def with_unit(number: object, unit: object) -> str:
    """{{ 45|with_unit:"개" }}: "45개" in Korean (a counter follows its number
    without a space), "45 boxes"-style with a space otherwise; thousands
    separated (2,060)."""
    amount = intcomma(number)
    if not unit:
        return str(amount)
    if (get_language() or "").startswith("ko"):
        return f"{amount}{unit}"
    return f"{amount} {unit}"
