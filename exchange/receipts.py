"""The donation receipt as a document: the statutory layout of the 기부금 영수증
(소득세법 시행규칙 별지 제45호의2 서식, 법인세법 시행규칙 별지 제63호의3 서식) and
issuing it with a serial number.

A document is a plain dict that JSON keeps as it is: the preview builds it from
today's figures; issuing stores it in `ReceiptIssue.snapshot`, and a reprint
renders the snapshot, so an issued receipt shows the same serial and figures
forever. Amounts are whole won (ints).

Only an issuer configured as a designated donation organisation (every
RECEIPT_ISSUER_* setting and RECEIPT_DONATION_TYPE_CODE set) issues a
"기부금 영수증"; otherwise the document is a "기부 내역 확인서", which says it is
not a receipt for tax purposes.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from djmoney.money import Money

from config.exceptions import DomainError, NotAllowed
from config.korean import business_number
from donors.models import Donor, ReceiptCounter, ReceiptIssue
from donors.permissions import represents
from exchange.donor_selectors import Receipt, donation_receipt
from people.permissions import is_finance

#: Settings that must all be set for the document to be a 기부금 영수증.
ISSUER_SETTINGS = (
    "RECEIPT_ISSUER_NAME",
    "RECEIPT_ISSUER_NUMBER",
    "RECEIPT_ISSUER_ADDRESS",
    "RECEIPT_ISSUER_PHONE",
    "RECEIPT_ISSUER_REPRESENTATIVE",
    "RECEIPT_ISSUER_LEGAL_BASIS",
    "RECEIPT_DONATION_TYPE_CODE",
)

#: Donation type codes of the receipt (기부금 유형 코드, 연말정산).
TYPE_CODES = {
    "10": gettext_lazy("Special donation (statutory)"),
    "20": gettext_lazy("Political fund donation"),
    "40": gettext_lazy("General donation (designated, non-religious)"),
    "41": gettext_lazy("General donation (designated, religious)"),
    "42": gettext_lazy("Employee stock ownership association donation"),
    "43": gettext_lazy("Hometown love donation"),
    "50": gettext_lazy("Donation not deductible"),
}


class NothingToIssue(DomainError):
    code = "nothing_to_issue"
    default_message = gettext_lazy("There is no donation in this year to issue a receipt for.")


def issuer_configured() -> bool:
    return all(str(getattr(settings, name, "") or "").strip() for name in ISSUER_SETTINGS)


def _number(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return business_number(digits) if len(digits) == 10 else value


def _region_address(region: Any) -> str:
    """ "대전광역시 대덕구": the donor's home region under its parent, when the
    donor has no street address on file."""
    parent = region.parent
    return f"{parent.name_ko} {region.name_ko}" if parent is not None else region.name_ko


def receipt_document(receipt: Receipt) -> dict[str, Any]:
    """The document of `receipt` as the settings describe the issuer now."""
    donor = receipt.donor
    lines = [
        {
            "kind": "cash" if item.kind == "pledge" else "in_kind",
            "day": item.day.isoformat(),
            "description": item.description,
            "district": item.district,
            "quantity": item.quantity,
            "unit": item.unit,
            "unit_value": int(item.unit_value.amount),
            "amount": int(item.amount.amount),
        }
        for item in receipt.items
    ]
    return {
        "year": receipt.year,
        "legal": issuer_configured(),
        "issuer": {
            "name": settings.RECEIPT_ISSUER_NAME,
            "number": _number(settings.RECEIPT_ISSUER_NUMBER),
            "address": settings.RECEIPT_ISSUER_ADDRESS,
            "phone": settings.RECEIPT_ISSUER_PHONE,
            "representative": settings.RECEIPT_ISSUER_REPRESENTATIVE,
            "legal_basis": settings.RECEIPT_ISSUER_LEGAL_BASIS,
        },
        "agent": {
            "name": settings.RECEIPT_AGENT_NAME,
            "number": _number(settings.RECEIPT_AGENT_NUMBER),
        },
        "type_code": settings.RECEIPT_DONATION_TYPE_CODE,
        "donor": {
            "name": donor.name,
            "number": business_number(donor.business_number),
            "address": donor.address or _region_address(donor.home_region),
        },
        "lines": lines,
        "totals": {
            "cash": int(receipt.pledge_total.amount),
            "in_kind": int(receipt.in_kind_total.amount),
            "total": int(receipt.total.amount),
        },
    }


def may_issue(user: Any, donor: Donor) -> bool:
    return is_finance(user) or represents(user, donor)


def _take_serial(year: int) -> int:
    """The next number of `year`, under the lock of the year's counter row: a
    concurrent issue waits, and a rolled-back one gives its number back, so the
    numbers of a year have no gaps."""
    ReceiptCounter.objects.bulk_create([ReceiptCounter(year=year)], ignore_conflicts=True)
    counter = ReceiptCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def receipt_issue(*, donor: Donor, year: int, by: Any) -> ReceiptIssue:
    """Issue the donor's receipt of `year` as it stands: a new serial
    ("2026-000123", numbered per year), the document kept as issued, and the
    earlier issue of the same donor and year (if any) marked superseded."""
    if not may_issue(by, donor):
        raise NotAllowed()
    with transaction.atomic():
        number = _take_serial(year)
        document = receipt_document(donation_receipt(donor, year))
        if not document["lines"]:
            raise NothingToIssue()
        now = timezone.now()
        document["issued_on"] = timezone.localtime(now).date().isoformat()
        serial = f"{year}-{number:06d}"
        document["serial"] = serial
        issue = ReceiptIssue.objects.create(
            donor=donor,
            year=year,
            number=number,
            serial=serial,
            issued_at=now,
            issued_by=by,
            total=Money(document["totals"]["total"], "KRW"),
            is_legal_receipt=document["legal"],
            snapshot=document,
        )
        ReceiptIssue.objects.filter(donor=donor, year=year, superseded_by__isnull=True).exclude(
            pk=issue.pk
        ).update(superseded_by=issue)
    return issue


def issues_of(donor: Donor, year: int):
    return ReceiptIssue.objects.filter(donor=donor, year=year).select_related("issued_by")


def type_code_label(code: str) -> str:
    return str(TYPE_CODES.get(code, ""))


def document_date(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)
