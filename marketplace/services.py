"""Writes of the marketplace: categories, listings, households, claims.

Each service checks permission, runs in one database transaction, locks what
it changes in the one order of marketplace/locks.py (claim → listing → match →
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
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import has_transition_perm

from audit.services import audit_transition
from config.conflicts import retry_on_conflict
from config.exceptions import NotAllowed
from donors.exceptions import NotMatched
from donors.models import Donor, Match, MatchState
from donors.permissions import represents
from donors.services import match_open, match_release, match_settle, split_cost
from ledger.models import Purpose
from ledger.services import account_for, hold, ledger_post, release, settle, system_account
from marketplace import notifications
from marketplace.exceptions import (
    CategoryFileError,
    DuplicateService,
    IllegalTransition,
    InsufficientQuantity,
    InvalidRequest,
    ListingNotPublished,
)
from marketplace.locks import ClaimLocks, claim_locks
from marketplace.models import (
    ACTIVE_CLAIM_STATES,
    Category,
    Claim,
    ClaimState,
    FollowUp,
    Household,
    HouseholdStatus,
    Listing,
    ListingState,
    ResourceKind,
)
from marketplace.personal_numbers import refuse_personal_numbers
from marketplace.selectors import (
    active_claims_in_category,
    min_krw_per_unit,
    points_for_krw,
    points_per_unit,
)
from people.models import Role, User
from people.permissions import may_act
from regions.models import Level, Region
from regions.selectors import exchange_region

CATEGORIES_CSV = Path(__file__).resolve().parent / "data" / "resource_categories.csv"


class Kind:
    """Ledger transaction kinds posted for claims."""

    CLAIM_AWARD = "claim_award"


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


# --- transitions -------------------------------------------------------------


def _run_transition(obj: Any, name: str, by: User | None, reason: str = "") -> None:
    """Check, run, save and audit one FSM transition. `by=None` is the system
    (expiry, reservation), which needs no permission."""
    if by is not None:
        # A reason is kept in the audit log and shown beside the household's claim.
        refuse_personal_numbers(text=reason, field="reason")
    method = getattr(obj, name)
    source = obj.state
    available = {t.name for t in obj.get_available_state_transitions()}
    if name not in available:
        raise IllegalTransition(
            _("“%(action)s” is not possible while it is %(state)s.")
            % {"action": name, "state": obj.get_state_display()}
        )
    if by is not None and not has_transition_perm(method, by):
        raise NotAllowed()
    method()
    obj.save()
    audit_transition(
        subject=obj, transition=name, source=source, target=obj.state, by=by, reason=reason
    )


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


def _check_listing_fields(fields: dict[str, Any]) -> None:
    """Every problem of the terms at once, each next to its field, so that a
    form is corrected in one go."""
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
        _run_transition(listing, "publish", by)
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
        _run_transition(listing, "withdraw", by, reason)
    return listing


def _settle_listing_state(listing: Listing) -> None:
    """Keep published/reserved/completed in step with the quantities (system transitions)."""
    if listing.quantity_fulfilled == listing.quantity and listing.state in (
        ListingState.PUBLISHED,
        ListingState.RESERVED,
    ):
        _run_transition(listing, "complete", None)
    elif listing.state == ListingState.PUBLISHED and listing.quantity_available == 0:
        _run_transition(listing, "reserve", None)
    elif listing.state == ListingState.RESERVED and listing.quantity_available > 0:
        _run_transition(listing, "reopen", None)


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


def household_close(*, household: Household, by: User) -> Household:
    """Close the case and schedule the follow-ups (3 and 6 months later by default)."""
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        if not may_act(by, Role.CASE_MANAGER, household.dong):
            raise NotAllowed()
        if household.status == HouseholdStatus.CLOSED:
            raise IllegalTransition(_("This case is already closed."))
        household.status = HouseholdStatus.CLOSED
        household.closed_at = timezone.now()
        household.save(update_fields=["status", "closed_at"])
        today = timezone.localdate()
        FollowUp.objects.bulk_create(
            FollowUp(household=household, due_on=_add_months(today, months))
            for months in settings.FOLLOW_UP_MONTHS
        )
    return household


def follow_up_record(*, follow_up: FollowUp, by: User, note: str) -> FollowUp:
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
        if not note.strip():
            raise InvalidRequest(
                _("Write what the follow-up found."),
                fields={"note": [_("This field is required.")]},
            )
        refuse_personal_numbers(text=note, field="note")
        follow_up.recorded_at, follow_up.recorded_by, follow_up.note = timezone.now(), by, note
        follow_up.save()
    return follow_up


# --- claims -------------------------------------------------------------------


@retry_on_conflict
def claim_request(
    *,
    by: User,
    listing: Listing,
    household: Household,
    quantity: int,
    justification: str = "",
    idempotency_key: str | None = None,
) -> Claim:
    """A case manager claims `quantity` units of a published listing for a household.

    Refused with a clear code when: the user is not a case manager of the
    household's region (403), the listing is not published, the quantity is
    more than available, the household already had this category within
    DUPLICATE_WINDOW_DAYS and no justification is given (`duplicate_service`),
    or the claiming region's wallet cannot pay (`insufficient_points`).
    A cross-region claim holds its cost from the claiming exchange region's
    wallet; a local handover moves no points.
    """
    if idempotency_key and (
        found := _claim_replay(idempotency_key, by, listing, household, quantity)
    ):
        return found
    if type(quantity) is not int or quantity < 1:
        raise InvalidRequest(
            _("Claim at least one unit."),
            fields={"quantity": [_("Enter a whole number of at least 1.")]},
        )
    if not may_act(by, Role.CASE_MANAGER, household.dong):
        raise NotAllowed(_("You can claim only for households in your own regions."))
    refuse_personal_numbers(text=justification, field="justification")
    if household.status != HouseholdStatus.ACTIVE:
        raise IllegalTransition(_("This household's case is closed."))
    try:
        with transaction.atomic():
            return _claim_request_locked(
                by, listing, household, quantity, justification, idempotency_key
            )
    except IntegrityError:
        if idempotency_key and (
            found := _claim_replay(idempotency_key, by, listing, household, quantity)
        ):
            return found
        raise


def _claim_replay(key, by, listing, household, quantity) -> Claim | None:
    from ledger.exceptions import IdempotencyConflict

    existing = Claim.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if (
        existing.requested_by_id,
        existing.listing_id,
        existing.household_id,
        existing.quantity,
    ) != (by.pk, listing.pk, household.pk, quantity):
        raise IdempotencyConflict()
    return existing


def _claim_request_locked(by, listing, household, quantity, justification, idempotency_key):
    listing = (
        Listing.objects.select_for_update(of=("self",))
        .select_related("region", "category")
        .get(pk=listing.pk)
    )
    # A request with the same key that got here first has committed by now (it
    # held this lock until then): answer with its claim, as a replay would, not
    # with the refusals its units, points or category would now cause.
    if idempotency_key and (
        found := _claim_replay(idempotency_key, by, listing, household, quantity)
    ):
        return found
    today = timezone.localdate()
    if (
        listing.state not in (ListingState.PUBLISHED, ListingState.RESERVED)
        or (listing.available_until and listing.available_until < today)
        or listing.available_from > today
    ):
        raise ListingNotPublished()
    if quantity > listing.quantity_available or listing.state == ListingState.RESERVED:
        raise InsufficientQuantity(
            _("Only %(available)s %(unit)s available; you asked for %(quantity)s.")
            % {"available": listing.quantity_available, "unit": listing.unit, "quantity": quantity},
            fields={
                "quantity": [
                    _("At most %(available)s.") % {"available": listing.quantity_available}
                ]
            },
            available=listing.quantity_available,
        )
    now = timezone.now()
    window = now - datetime.timedelta(days=settings.DUPLICATE_WINDOW_DAYS)
    duplicate = active_claims_in_category(household, listing.category_id, window).exists()
    if duplicate and not justification.strip():
        raise DuplicateService(
            _(
                "This household already received or claimed “%(category)s” in the last %(days)s "
                "days. Give a written justification to claim again."
            )
            % {"category": listing.category.name, "days": settings.DUPLICATE_WINDOW_DAYS},
            fields={"justification": [_("A justification is required for a repeated service.")]},
        )
    claimant = exchange_region(household.dong)
    provider = exchange_region(listing.region)
    ppu = points_per_unit(listing)
    claim = Claim.objects.create(
        listing=listing,
        household=household,
        quantity=quantity,
        points_per_unit=ppu,
        cost_points=ppu * quantity,
        is_exchange=claimant != provider,
        claimant_region=claimant,
        provider_region=provider,
        requested_by=by,
        justification=justification.strip(),
        duplicate_flag=duplicate,
        approve_by=now + datetime.timedelta(days=settings.CLAIM_APPROVAL_DAYS),
        idempotency_key=idempotency_key or None,
    )
    if claim.is_exchange and claim.cost_points:
        # The private half first (it locks a pledge), then the public half from the
        # wallet: pledges are always locked before ledger accounts, and the wallet
        # is locked with the pledge's accounts, all at once.
        match_open(claim=claim, by=by, also_lock=[account_for(claimant, Purpose.WALLET)])
        public, _private = split_cost(claim.cost_points)
        if public:
            claim.hold = hold(
                source=account_for(claimant, Purpose.WALLET),
                amount=public,
                memo=_("Claim #%(pk)s: %(title)s") % {"pk": claim.pk, "title": listing.title},
                obj=claim,
                by=by,
            )
            claim.save(update_fields=["hold"])
    Listing.objects.filter(pk=listing.pk).update(quantity_held=listing.quantity_held + quantity)
    listing.quantity_held += quantity
    _settle_listing_state(listing)
    audit_transition(
        subject=claim,
        transition="request",
        source="",
        target=claim.state,
        by=by,
        reason=claim.justification,
    )
    notifications.claim_requested(claim)
    return claim


def _free_units(claim: Claim, listing: Listing) -> None:
    Listing.objects.filter(pk=listing.pk).update(
        quantity_held=listing.quantity_held - claim.quantity
    )
    listing.quantity_held -= claim.quantity
    _settle_listing_state(listing)


@retry_on_conflict
def claim_approve(*, claim: Claim, by: User, reason: str = "") -> Claim:
    _expire_first(claim)
    with transaction.atomic():
        locks = claim_locks(claim.pk, accounts=False)
        claim = locks.claim
        match = locks.match if claim.is_exchange else None
        # Only once the approval would otherwise be allowed, so that an illegal or
        # unauthorised approval still says so first.
        if (
            match is not None
            and match.state != MatchState.COMMITTED
            and "approve" in {t.name for t in claim.get_available_state_transitions()}
            and has_transition_perm(claim.approve, by)
        ):
            raise NotMatched()
        _run_transition(claim, "approve", by, reason)
        now = timezone.now()
        Claim.objects.filter(pk=claim.pk).update(
            approved_at=now,
            decided_by=by,
            decision_reason=reason,
            fulfil_by=now + datetime.timedelta(days=settings.CLAIM_FULFIL_DAYS),
        )
        claim.refresh_from_db()
        notifications.claim_decided(claim)
    return claim


def _close_claim(locks: ClaimLocks, action: str, by: User | None, reason: str) -> Claim:
    """Reject, cancel or expire: the units come back, the hold returns."""
    claim, listing = locks.claim, locks.listing
    _run_transition(claim, action, by, reason)
    match_release(claim=claim, by=by, expired=action == "expire")
    if claim.hold_id:
        release(
            claim.hold,
            by=by,
            memo=_("Claim #%(pk)s %(state)s")
            % {"pk": claim.pk, "state": claim.get_state_display()},
        )
    _free_units(claim, listing)
    fields = {"closed_at": timezone.now(), "decision_reason": reason}
    if action == "reject":
        fields["decided_by"] = by
    Claim.objects.filter(pk=claim.pk).update(**fields)
    return claim


@retry_on_conflict
def claim_reject(*, claim: Claim, by: User, reason: str = "") -> Claim:
    _expire_first(claim)
    with transaction.atomic():
        claim = _close_claim(claim_locks(claim.pk), "reject", by, reason)
        notifications.claim_decided(claim)
    return claim


@retry_on_conflict
def claim_cancel(*, claim: Claim, by: User, reason: str = "") -> Claim:
    _expire_first(claim)
    with transaction.atomic():
        claim = _close_claim(claim_locks(claim.pk), "cancel", by, reason)
    return claim


@retry_on_conflict
def claim_fulfil(*, claim: Claim, by: User, quantity_received: int) -> Claim:
    """The case manager confirms receipt of `quantity_received` (≤ claimed). The
    received part is paid (hold settled, the rest returns) and the providing
    exchange region is awarded the same points; unreceived units return to the
    listing."""
    _expire_first(claim)
    with transaction.atomic():
        locks = claim_locks(claim.pk)
        claim, listing = locks.claim, locks.listing
        if type(quantity_received) is not int or not 0 <= quantity_received <= claim.quantity:
            raise InvalidRequest(
                _("Received quantity must be between 0 and %(quantity)s.")
                % {"quantity": claim.quantity},
                fields={
                    "quantity_received": [
                        _("Enter a whole number from 0 to %(quantity)s.")
                        % {"quantity": claim.quantity}
                    ]
                },
            )
        _run_transition(claim, "fulfil", by)
        paid = claim.points_per_unit * quantity_received
        public_paid, private_paid = split_cost(paid)
        match_settle(claim=claim, private_paid=private_paid, by=by)
        if claim.hold_id:
            settle(
                claim.hold,
                public_paid,
                by=by,
                memo=_("Claim #%(pk)s received %(n)s") % {"pk": claim.pk, "n": quantity_received},
            )
        if claim.is_exchange and paid:
            ledger_post(
                entries=[
                    (system_account(Purpose.ISSUED), -paid),
                    (account_for(claim.provider_region, Purpose.WALLET), paid),
                ],
                kind=Kind.CLAIM_AWARD,
                memo=_("Claim #%(pk)s: %(title)s") % {"pk": claim.pk, "title": listing.title},
                obj=claim,
                by=by,
            )
        Listing.objects.filter(pk=listing.pk).update(
            quantity_held=listing.quantity_held - claim.quantity,
            quantity_fulfilled=listing.quantity_fulfilled + quantity_received,
        )
        listing.quantity_held -= claim.quantity
        listing.quantity_fulfilled += quantity_received
        _settle_listing_state(listing)
        Claim.objects.filter(pk=claim.pk).update(
            quantity_received=quantity_received, closed_at=timezone.now()
        )
        claim.quantity_received = quantity_received
        notifications.claim_fulfilled(claim)
    return claim


def _is_overdue(claim: Claim, now: datetime.datetime) -> bool:
    if claim.state == ClaimState.REQUESTED:
        match = Match.objects.filter(claim=claim).only("state", "deadline").first()
        if match is not None and match.state == MatchState.PENDING and match.deadline <= now:
            return True
        return claim.approve_by <= now
    if claim.state == ClaimState.APPROVED:
        return claim.fulfil_by is not None and claim.fulfil_by <= now
    return False


def _expire_first(claim: Claim) -> None:
    """A stale claim never acts alive: before any action, a claim past its
    deadline is expired in its own transaction (so the expiry stands even when
    the action is then refused as illegal on an expired claim)."""
    claim_expire_overdue(claims=Claim.objects.filter(pk=claim.pk))


def claim_expire_overdue(*, now: datetime.datetime | None = None, claims=None) -> int:
    """Expire every active claim past its deadline; returns how many. Idempotent."""
    now = now or timezone.now()
    queryset = (claims if claims is not None else Claim.objects.all()).filter(
        state__in=ACTIVE_CLAIM_STATES
    )
    due = (
        queryset.filter(state=ClaimState.REQUESTED, approve_by__lte=now)
        | queryset.filter(state=ClaimState.APPROVED, fulfil_by__lte=now)
        | queryset.filter(
            state=ClaimState.REQUESTED, match__state=MatchState.PENDING, match__deadline__lte=now
        )
    )
    return sum(_expire_one(pk, now) for pk in due.values_list("pk", flat=True).distinct())


@retry_on_conflict
def _expire_one(pk: int, now: datetime.datetime) -> int:
    """Expire one claim if it is still overdue under its locks; 1 if it was."""
    with transaction.atomic():
        locks = claim_locks(pk)
        if not _is_overdue(locks.claim, now):
            return 0
        claim = _close_claim(locks, "expire", None, _("Deadline passed"))
        notifications.claim_decided(claim)
    return 1


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
                _run_transition(listing, "expire", None, _("Availability ended"))
                count += 1
    return count
