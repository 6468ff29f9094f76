"""Writes of the marketplace: categories, listings, households, follow-ups, and
the units of a listing that claims hold (`listing_hold_units` and the others).

Each service checks permission, runs in one database transaction, locks what
it changes in the one order of exchange/locks.py (claim → listing → match →
pledge → ledger accounts, so two services never wait on each other in a
circle), writes the audit log, and sends e-mail only after the commit. A
deadlock or serialization failure that still happens is retried a few times,
then refused as `conflict` (config/conflicts.py).
"""

from __future__ import annotations

import csv
import datetime
import io
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_transition, run_transition
from config.exceptions import DomainError, NotAllowed
from config.personal_numbers import refuse_personal_numbers
from donors.models import Donor
from donors.permissions import represents
from marketplace.exceptions import (
    CategoryFileError,
    IllegalTransition,
    InvalidRequest,
)
from marketplace.models import (
    Category,
    FollowUp,
    FollowUpOutcome,
    Household,
    HouseholdStatus,
    Listing,
    ListingImport,
    ListingState,
    ResourceKind,
)
from marketplace.selectors import (
    min_krw_per_unit,
    points_for_krw,
    points_per_unit,
)
from people.models import Role, User
from people.permissions import may_act
from regions.models import Level, Region

CATEGORIES_CSV = Path(__file__).resolve().parent / "data" / "resource_categories.csv"


# --- categories -------------------------------------------------------------


CATEGORY_COLUMNS = ("code", "parent_code", "name_ko", "name_en", "usual_kind")


def _category_field_problems(values: dict[str, str]) -> list[str]:
    problems = [
        f"{column} contains a control character"
        for column, value in values.items()
        if any(unicodedata.category(char) == "Cc" for char in value)
    ]
    for column in ("code", "name_ko", "name_en"):
        limit = Category._meta.get_field(column).max_length
        if len(values[column]) > limit:
            problems.append(f"{column} is longer than {limit} characters")
    if problems:
        return problems
    if not values["code"] or not values["name_ko"] or not values["name_en"]:
        problems.append("code, name_ko and name_en are required")
    if values["usual_kind"] not in ResourceKind.values:
        problems.append(f"usual_kind {values['usual_kind']!r} is unknown")
    if values["code"] and values["parent_code"] == values["code"]:
        problems.append("a category cannot be its own parent")
    return problems


def _read_category_rows(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = tuple(reader.fieldnames or ())
    except csv.Error as exc:
        raise CategoryFileError([(1, f"not readable as CSV ({exc})")]) from None
    missing = [column for column in CATEGORY_COLUMNS if column not in header]
    if missing:
        raise CategoryFileError([(1, f"missing column(s): {', '.join(missing)}")])
    rows: list[dict[str, Any]] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    try:
        for record in reader:
            line = reader.line_num
            if None in record:
                problems.append((line, "more fields than the header has"))
                continue
            values = {k: (record.get(k) or "").strip() for k in CATEGORY_COLUMNS}
            row_problems = _category_field_problems(values)
            if values["code"] in seen:
                row_problems.append(
                    f"code {values['code']} already appears on line {seen[values['code']]}"
                )
            if row_problems:
                problems.extend((line, message) for message in row_problems)
            else:
                seen[values["code"]] = line
                rows.append({**values, "line": line})
    except csv.Error as exc:
        # The line being read is not counted yet.
        problems.append((reader.line_num + 1, f"not readable as CSV ({exc})"))
    if problems:
        raise CategoryFileError(problems)
    if not rows:
        raise CategoryFileError([(1, "the file has no categories")])
    return rows


def _check_category_tree(rows: list[dict[str, Any]]) -> None:
    """Two levels only, once the file is applied: a parent is a top-level
    category, known in the file or the database, and a category with
    subcategories (in the database, not moved away by the file) has no parent.
    Two levels admit no cycle, so none is loaded, with the file's rows or the
    database's."""
    in_file = {row["code"]: row for row in rows}
    referred = {row["parent_code"] for row in rows if row["parent_code"]}
    stored = {
        code: parent_code or ""
        for code, parent_code in Category.objects.filter(
            code__in=referred | set(in_file)
        ).values_list("code", "parent__code")
    }

    def parent_of(code: str) -> str | None:
        """The code's parent after the load ("" for none), None when unknown."""
        if code in in_file:
            return in_file[code]["parent_code"]
        return stored.get(code)

    children: dict[str, list[str]] = {}
    for code, parent_code in Category.objects.filter(parent__code__in=set(in_file)).values_list(
        "code", "parent__code"
    ):
        if code not in in_file:  # a child the file moves is counted with the file's rows
            children.setdefault(parent_code, []).append(code)
    for row in rows:
        if row["parent_code"]:
            children.setdefault(row["parent_code"], []).append(row["code"])

    problems: list[tuple[int, str]] = []
    for row in rows:
        parent_code = row["parent_code"]
        if not parent_code:
            continue
        grandparent = parent_of(parent_code)
        if grandparent is None:
            problems.append(
                (row["line"], f"parent {parent_code} is neither in the file nor loaded")
            )
        elif grandparent:
            problems.append(
                (
                    row["line"],
                    f"parent {parent_code} is itself under {grandparent}: "
                    "categories have two levels",
                )
            )
        elif row["code"] in children:
            problems.append(
                (
                    row["line"],
                    f"{row['code']} has subcategories ({', '.join(sorted(children[row['code']]))}) "
                    "and cannot be under another category",
                )
            )
    if problems:
        raise CategoryFileError(problems)


def categories_load_csv(*, path: Path | str | None = None) -> tuple[int, int, int]:
    """Create or update categories, all or nothing; idempotent.

    Every problem of the file is reported with its line (CategoryFileError) and
    nothing is written. Returns (created, updated, unchanged).
    """
    try:
        text = Path(path or CATEGORIES_CSV).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CategoryFileError([(0, f"the file is not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise CategoryFileError([(0, f"cannot read the file: {exc.strerror}")]) from None
    rows = _read_category_rows(text)
    created = updated = unchanged = 0
    with transaction.atomic():
        # Locked so that a concurrent load cannot change the tree between the
        # check and the writes.
        list(Category.objects.select_for_update().values_list("pk", flat=True))
        _check_category_tree(rows)
        by_code: dict[str, Category] = {}
        for row in sorted(rows, key=lambda r: bool(r["parent_code"])):
            parent = None
            if row["parent_code"]:
                parent = by_code.get(row["parent_code"]) or Category.objects.get(
                    code=row["parent_code"]
                )
            fields = {
                "parent": parent,
                "name_ko": row["name_ko"],
                "name_en": row["name_en"],
                "usual_kind": row["usual_kind"],
            }
            category = Category.objects.filter(code=row["code"]).first()
            if category is None:
                category = Category.objects.create(code=row["code"], **fields)
                created += 1
            elif any(getattr(category, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(category, k, v)
                category.save()
                updated += 1
            else:
                unchanged += 1
            by_code[row["code"]] = category
    return created, updated, unchanged


# --- listings ----------------------------------------------------------------

LISTING_FIELDS = (
    "kind",
    "category",
    "title",
    "description",
    "quantity",
    "unit",
    "value_per_unit",
    "available_from",
    "available_until",
    "pickup_notes",
)


#: A new listing may start this many days in the past at most: an older start
#: date is a typing mistake (a year off), not a listing made late.
MAX_START_DAYS_AGO = 30


def listing_start_problem(start: datetime.date | None) -> str | None:
    """Why a new listing may not start on this day, or None. Checked where a
    listing is entered on the pages (the new-listing and gift forms), not by
    listing_create: the API and loaded data keep their own dates."""
    if start is None:
        return None
    earliest = timezone.localdate() - datetime.timedelta(days=MAX_START_DAYS_AGO)
    if start < earliest:
        return _("The start cannot be more than %(days)s days ago (%(date)s or later).") % {
            "days": MAX_START_DAYS_AGO,
            "date": earliest.isoformat(),
        }
    return None


def listing_terms_problems(fields: dict[str, Any]) -> dict[str, list[str]]:
    """The problems of a listing's terms (kind, appraised value, dates), each
    under its field; empty when there are none. The bulk import shows them per
    row before anything is written."""
    problems: dict[str, list[str]] = {}
    value = fields.get("value_per_unit")
    amount = getattr(value, "amount", value)
    if fields["kind"] != ResourceKind.VOLUNTEER_HOURS and value is None:
        problems["value_per_unit"] = [_("Enter the appraised value in KRW.")]
    elif amount is not None and amount < 0:
        problems["value_per_unit"] = [_("The appraised value cannot be negative.")]
    elif amount is not None and points_for_krw(amount) < 1:
        # Worth less than half a point, a unit would be claimed across regions
        # for nothing: the exchange has no price for it.
        problems["value_per_unit"] = [
            _("The appraised value must be at least %(krw)s won (one point).")
            % {"krw": f"{min_krw_per_unit():,}"}
        ]
    start = fields.get("available_from")
    until = fields.get("available_until")
    if until is not None and start is not None and until < start:
        problems["available_until"] = [_("This date is before the start.")]
    return problems


def _check_listing_fields(fields: dict[str, Any]) -> None:
    """Every problem of the terms at once, each next to its field, so that a
    form is corrected in one go."""
    problems = listing_terms_problems(fields)
    if problems:
        if list(problems) == ["available_until"]:
            message = _("The end of availability is before its start.")
        else:
            message = " ".join(" ".join(texts) for texts in problems.values())
        raise InvalidRequest(message, fields=problems)


def listing_create(
    *, by: User, region: Region, donor: Donor | None = None, **fields: Any
) -> Listing:
    """A coordinator drafts a listing for a region they cover (a dong or a district);
    or a donor's representative drafts an in-kind gift of that donor in any region,
    which a coordinator of the region then reviews and publishes. Only a
    representative of the donor may name it."""
    if region.level not in (Level.DONG, Level.DISTRICT, Level.ZONE):
        raise InvalidRequest(
            _("A listing belongs to a dong or a district."),
            fields={"region": [_("Choose a dong or a district.")]},
        )
    # An in-kind gift counts on its donor's donation receipt, so only the donor's
    # own representatives may offer one: a coordinator cannot name a donor.
    if donor is not None:
        if not represents(by, donor):
            raise NotAllowed(_("Only a representative of this donor may offer its gifts."))
    elif not may_act(by, Role.COORDINATOR, region):
        raise NotAllowed(_("Only a coordinator of this region may list resources here."))
    _check_listing_fields(fields)
    with transaction.atomic():
        listing = Listing.objects.create(
            region=region,
            donor=donor,
            posted_by=by,
            **{k: fields.get(k) for k in LISTING_FIELDS if k in fields},
        )
        audit_transition(
            subject=listing, transition="create", source="", target=listing.state, by=by
        )
    return listing


def import_listings(
    user: User, rows: Sequence[Mapping[str, Any]], *, key: str = "", file_name: str = ""
) -> list[Listing]:
    """A coordinator's bulk import (marketplace/imports.py): one draft per row,
    all or none in one transaction. Each row is what the import's checks
    cleaned: `line` (its row in the file), `region` and the listing's terms.
    Every listing is created by `listing_create`, so each is checked again
    (the coordinator's post may have ended since the preview), starts as a
    draft and is written to the audit log; the first refusal undoes them all
    and names its row. With a `key` (the preview's), the import is recorded
    as a `ListingImport` first: the same key a second time, even at the same
    moment, is refused as already done."""
    if not rows:
        raise InvalidRequest(_("The file holds no listing to import."))
    created: list[Listing] = []
    with transaction.atomic():
        if key:
            try:
                with transaction.atomic():
                    ListingImport.objects.create(
                        key=key, by=user, file_name=file_name[:255], rows=len(rows)
                    )
            except IntegrityError:
                raise IllegalTransition(_("These rows have already been imported.")) from None
        for row in rows:
            fields = dict(row)
            line = fields.pop("line", None)
            region = fields.pop("region")
            try:
                created.append(listing_create(by=user, region=region, **fields))
            except DomainError as error:
                raise InvalidRequest(
                    _("Row %(line)s: %(message)s") % {"line": line, "message": error.message},
                    line=line,
                ) from error
    return created


def listing_update(*, listing: Listing, by: User, **fields: Any) -> Listing:
    """Drafts are edited freely (a gift only by its donor's representatives); once
    published a listing's terms are fixed."""
    with transaction.atomic():
        listing = (
            Listing.objects.select_for_update(of=("self",))
            .select_related("donor")
            .get(pk=listing.pk)
        )
        # A gift's terms are its donor's: they set the amount on its receipt. The
        # region's coordinator reviews and publishes it but does not rewrite it.
        if listing.donor is not None:
            if not represents(by, listing.donor):
                raise NotAllowed(_("Only a representative of this donor may change its gift."))
        elif not may_act(by, Role.COORDINATOR, listing.region):
            raise NotAllowed()
        if listing.state != ListingState.DRAFT:
            raise IllegalTransition(_("Only a draft can be edited."))
        merged = {k: fields.get(k, getattr(listing, k)) for k in LISTING_FIELDS}
        _check_listing_fields(merged)
        for k, v in merged.items():
            setattr(listing, k, v)
        listing.save()
    return listing


def listing_publish(*, listing: Listing, by: User) -> Listing:
    with transaction.atomic():
        listing = Listing.objects.select_for_update().get(pk=listing.pk)
        # Whoever may not publish it is refused as such before its state or
        # dates are discussed (the rule of the transition's permission).
        if not may_act(by, Role.COORDINATOR, listing.region):
            raise NotAllowed()
        if listing.availability_ended:
            raise IllegalTransition(_("The availability has already ended; change the dates."))
        if points_per_unit(listing) < 1:
            # A draft from before the minimum value: it would be claimed for 0 points.
            raise InvalidRequest(
                _("The appraised value must be at least %(krw)s won (one point).")
                % {"krw": f"{min_krw_per_unit():,}"}
            )
        run_transition(listing, "publish", by)
        listing.published_at = timezone.now()
        Listing.objects.filter(pk=listing.pk).update(published_at=listing.published_at)
    return listing


def listing_withdraw(*, listing: Listing, by: User, reason: str = "") -> Listing:
    with transaction.atomic():
        listing = Listing.objects.select_for_update().get(pk=listing.pk)
        # Who may not withdraw it (the transition's own rule) is refused as
        # such, before anything is said about its claims.
        if not may_act(by, Role.COORDINATOR, listing.region):
            raise NotAllowed()
        if listing.state in (ListingState.DRAFT, ListingState.PUBLISHED) and listing.quantity_held:
            raise IllegalTransition(_("A listing with active claims cannot be withdrawn."))
        run_transition(listing, "withdraw", by, reason)
    return listing


def _settle_listing_state(listing: Listing) -> None:
    """Keep published/reserved/completed in step with the quantities (system transitions)."""
    if listing.quantity_fulfilled == listing.quantity and listing.state in (
        ListingState.PUBLISHED,
        ListingState.RESERVED,
    ):
        run_transition(listing, "complete", None)
    elif listing.state == ListingState.PUBLISHED and listing.quantity_available == 0:
        run_transition(listing, "reserve", None)
    elif listing.state == ListingState.RESERVED and listing.quantity_available > 0:
        run_transition(listing, "reopen", None)


# --- households -----------------------------------------------------------------


def household_create(*, by: User, dong: Region, size: int, needs=(), notes: str = "") -> Household:
    if dong.level != Level.DONG:
        raise InvalidRequest(
            _("A household belongs to a dong."), fields={"dong": [_("Choose a dong.")]}
        )
    if not may_act(by, Role.CASE_MANAGER, dong):
        raise NotAllowed(_("Only a case manager of this dong may register its households."))
    if not 1 <= size <= 20:
        raise InvalidRequest(
            _("A household has 1 to 20 members."),
            fields={"size": [_("Enter a number from 1 to 20.")]},
        )
    refuse_personal_numbers(text=notes, field="notes")
    with transaction.atomic():
        household = Household.objects.create(dong=dong, size=size, case_manager=by, notes=notes)
        household.needs.set(needs)
    return household


def household_update(
    *, household: Household, by: User, size: int | None = None, needs=None, notes: str | None = None
) -> Household:
    if not may_act(by, Role.CASE_MANAGER, household.dong):
        raise NotAllowed()
    if size is not None and not 1 <= size <= 20:
        raise InvalidRequest(
            _("A household has 1 to 20 members."),
            fields={"size": [_("Enter a number from 1 to 20.")]},
        )
    if notes is not None:
        refuse_personal_numbers(text=notes, field="notes")
    with transaction.atomic():
        if size is not None:
            household.size = size
        if notes is not None:
            household.notes = notes
        household.save()
        if needs is not None:
            household.needs.set(needs)
    return household


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def household_close(*, household: Household, by: User, reason: str = "") -> Household:
    """Close the case and schedule the follow-ups (3 and 6 months later by default).
    The close and its reason are written to the audit log, the household's
    history (the status is not a state machine, so the closing is logged here
    rather than by `run_transition`)."""
    refuse_personal_numbers(text=reason, field="reason")
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        if not may_act(by, Role.CASE_MANAGER, household.dong):
            raise NotAllowed()
        if household.status == HouseholdStatus.CLOSED:
            raise IllegalTransition(_("This case is already closed."))
        source = household.status
        household.status = HouseholdStatus.CLOSED
        household.closed_at = timezone.now()
        household.save(update_fields=["status", "closed_at"])
        audit_transition(
            subject=household,
            transition="close",
            source=source,
            target=household.status,
            by=by,
            reason=reason,
        )
        today = timezone.localdate()
        FollowUp.objects.bulk_create(
            FollowUp(household=household, due_on=_add_months(today, months))
            for months in settings.FOLLOW_UP_MONTHS
        )
    return household


def household_reopen(*, household: Household, by: User, reason: str) -> Household:
    """Reopen a closed case: it is active again, with its history kept.

    The reopening and its reason go to the audit log beside the earlier closes;
    `closed_at` keeps the last close. The follow-ups not yet recorded are put on
    hold (kept in the history, no longer due); a later close schedules new ones.
    The household's claims are untouched, so the duplicate-service window still
    counts the claims made before the close."""
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        if not may_act(by, Role.CASE_MANAGER, household.dong):
            raise NotAllowed()
        if not reason.strip():
            raise InvalidRequest(
                _("Say why the case is reopened."),
                fields={"reason": [_("A reason is required to reopen the case.")]},
            )
        refuse_personal_numbers(text=reason, field="reason")
        if household.status != HouseholdStatus.CLOSED:
            raise IllegalTransition(_("This case is not closed."))
        household.status = HouseholdStatus.ACTIVE
        household.save(update_fields=["status"])
        audit_transition(
            subject=household,
            transition="reopen",
            source=HouseholdStatus.CLOSED,
            target=HouseholdStatus.ACTIVE,
            by=by,
            reason=reason.strip(),
        )
        # After the log entry, so the history lists the holds after the reopening.
        FollowUp.objects.filter(
            household=household, recorded_at__isnull=True, held_at__isnull=True
        ).update(held_at=timezone.now())
    return household


def follow_up_record(*, follow_up: FollowUp, by: User, note: str, outcome: str) -> FollowUp:
    """Record what a follow-up found: a note and its outcome (stable, relapse, crisis)."""
    with transaction.atomic():
        follow_up = (
            FollowUp.objects.select_for_update()
            .select_related("household__dong")
            .get(pk=follow_up.pk)
        )
        if not may_act(by, Role.CASE_MANAGER, follow_up.household.dong):
            raise NotAllowed()
        if follow_up.recorded_at is not None:
            raise IllegalTransition(_("This follow-up is already recorded."))
        if follow_up.held_at is not None:
            raise IllegalTransition(_("This follow-up is on hold: the case was reopened."))
        problems: dict[str, list[str]] = {}
        if not note.strip():
            problems["note"] = [_("This field is required.")]
        if outcome not in FollowUpOutcome.values:
            problems["outcome"] = [_("Choose what the follow-up found: stable, relapse or crisis.")]
        if problems:
            message = (
                _("Write what the follow-up found.")
                if "note" in problems
                else _("Choose the follow-up's outcome.")
            )
            raise InvalidRequest(message, fields=problems)
        refuse_personal_numbers(text=note, field="note")
        follow_up.recorded_at, follow_up.recorded_by = timezone.now(), by
        follow_up.note, follow_up.outcome = note, outcome
        follow_up.save()
    return follow_up


# --- units held by claims ------------------------------------------------------
#
# The claim workflow (exchange/services.py) changes a listing's held and
# fulfilled units only through these, under the listing's row lock, which the
# caller holds (exchange/locks.py).


def listing_hold_units(listing: Listing, quantity: int) -> None:
    """`quantity` more units are held by an active claim; a listing with none
    left is reserved."""
    Listing.objects.filter(pk=listing.pk).update(quantity_held=listing.quantity_held + quantity)
    listing.quantity_held += quantity
    _settle_listing_state(listing)


def listing_release_units(listing: Listing, quantity: int) -> None:
    """A claim that held `quantity` units ended without them; a reserved listing reopens."""
    Listing.objects.filter(pk=listing.pk).update(quantity_held=listing.quantity_held - quantity)
    listing.quantity_held -= quantity
    _settle_listing_state(listing)


def listing_fulfil_units(listing: Listing, held: int, received: int) -> None:
    """A claim that held `held` units received `received` of them: those are
    fulfilled, the rest come back; a listing with every unit received completes."""
    Listing.objects.filter(pk=listing.pk).update(
        quantity_held=listing.quantity_held - held,
        quantity_fulfilled=listing.quantity_fulfilled + received,
    )
    listing.quantity_held -= held
    listing.quantity_fulfilled += received
    _settle_listing_state(listing)


def listing_expire_overdue(*, today: datetime.date | None = None) -> int:
    """Expire published listings whose availability ended and that have no active claim."""
    today = today or timezone.localdate()
    count = 0
    due = Listing.objects.filter(
        state=ListingState.PUBLISHED, available_until__lt=today, quantity_held=0
    )
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            listing = Listing.objects.select_for_update().get(pk=pk)
            if (
                listing.state == ListingState.PUBLISHED
                and listing.quantity_held == 0
                and listing.available_until
                and listing.available_until < today
            ):
                run_transition(listing, "expire", None, _("Availability ended"))
                count += 1
    return count
