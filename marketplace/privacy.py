"""Household records hold no personal identifiers: a check shared by forms and services."""

import re

#: Resident registration numbers (900101-1234567) and Korean phone numbers
#: (010-1234-5678, 02 123 4567); household notes must hold neither.
_RRN = re.compile(r"\b\d{6}\s*-\s*[1-8]\d{6}\b")
_PHONE = re.compile(r"\b0\d{1,2}[-.\s]?\d{3,4}[-.\s]?\d{4}\b")


def contains_personal_numbers(text: str) -> bool:
    return bool(_RRN.search(text or "") or _PHONE.search(text or ""))
