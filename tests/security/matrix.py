"""The authorization matrix: every URL the project serves, every method, and
which principal (tests/security/world.py) may use it.

One `Row` per URL pattern name and method (a second row with a `variant`
asks the same URL about another object). To add a URL: add its row here —
`test_every_url_is_in_the_matrix` fails until every pattern of the resolver
and every method of each API ViewSet has one.

A row says:
- `allow`: the principals whose request passes the permission check. Their
  answer must be one of `ok` (default: 200 for GET, 200/201/302 for writes).
- everyone else is refused: 401/403/404 (an anonymous visitor of a page is sent
  to the login page), plus the statuses in `refusals` where a refusal takes
  another form (documented in the row's `note`). A refusal changes nothing
  (every row of the domain tables and every ledger balance compared before and
  after) and its body holds none of the `secrets` of the row's object.
- `visible`: principals who may see the object anyway (default: `allow`). For
  everyone else the secrets must be absent from ANY answer, allowed or not —
  that is how lists are checked for rows they must not contain.
- a GET never changes anything, for anyone.

`ok` statuses other than 2xx/302 are the form or service answering after the
permission check passed: 422 for a page form sent incomplete on purpose, 409
for a state conflict. Each such row says so.

Adding a URL, e.g. a page that lists who read a household's record:

    page("privacy:access_log", "GET", frozenset({FINANCE}), obj="household")

`obj` names an object of the world (World.ids; add one in world.py when none
fits, with its distinctive texts in World.secrets); `data` is the body of a
write (a dict, or a function of the world for ids and codes).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.security.world import (
    ADMIN,
    ANON,
    CM_OTHER,
    CM_OWN,
    COORD_OTHER,
    COORD_OWN,
    FINANCE,
    NO_ROLE,
    PRINCIPALS,
    REP_OTHER,
    REP_OWN,
    TOKEN_PASSWORD,
    World,
)

ALL = frozenset(PRINCIPALS)
SIGNED_IN = ALL - {ANON}
NOBODY: frozenset[str] = frozenset()
COORDINATORS = frozenset({COORD_OWN, COORD_OTHER})
CASE_MANAGERS = frozenset({CM_OWN, CM_OTHER})
REPS = frozenset({REP_OWN, REP_OTHER})
#: Who sees the world's claims: their case manager, the listing's coordinator, the
#: representative of the matches' donor and finance (exchange.selectors.claims_visible_to).
CLAIM_SEEN = frozenset({COORD_OWN, CM_OWN, REP_OWN, FINANCE})
#: Who takes part in a claim's message thread: all of them but finance.
CLAIM_THREAD = CLAIM_SEEN - {FINANCE}


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    allow: frozenset[str]
    api: bool
    #: Key of the object in World.ids: the URL's `pk` unless `kwargs` says otherwise.
    obj: str = "none"
    kwargs: Callable[[World], dict[str, Any]] | None = None
    data: Callable[[World], dict[str, Any]] | dict[str, Any] | None = None
    ok: tuple[int, ...] = ()
    refusals: tuple[int, ...] = ()
    #: Key of World.secrets; by default the object's.
    secrets: str = ""
    visible: frozenset[str] | None = None
    #: Principals who pass the role check but cannot see the object: their refusal
    #: must be 404, where a 403 would confirm that the object exists.
    unseen: frozenset[str] = frozenset()
    query: str = ""
    variant: str = ""
    #: The principals this row is asked for: all of them, unless the answer is the
    #: same for everyone by construction and costly to produce.
    asked: tuple[str, ...] = PRINCIPALS
    #: Where a refused anonymous visitor of a page is sent.
    login: str = "/accounts/login/"
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}{'[' + self.variant + ']' if self.variant else ''}"

    def url_kwargs(self, world: World) -> dict[str, Any]:
        if self.kwargs is not None:
            return self.kwargs(world)
        return {"pk": world.ids[self.obj]} if self.obj != "none" else {}

    def body(self, world: World) -> dict[str, Any]:
        if callable(self.data):
            return self.data(world)
        return dict(self.data or {})

    @property
    def ok_statuses(self) -> tuple[int, ...]:
        if self.ok:
            return self.ok
        return (200,) if self.method == "GET" else (200, 201, 302)

    @property
    def secret_key(self) -> str:
        return self.secrets or self.obj

    @property
    def sees(self) -> frozenset[str]:
        return self.allow if self.visible is None else self.visible


def page(name: str, method: str, allow: frozenset[str], **kw: Any) -> Row:
    return Row(name=name, method=method, allow=allow, api=False, **kw)


def api(name: str, method: str, allow: frozenset[str], **kw: Any) -> Row:
    return Row(name=name, method=method, allow=allow, api=True, **kw)


def _listing_form(w: World) -> dict[str, Any]:
    return {
        "kind": "goods",
        "category": w.codes["category"],
        "title": "고친 초안",
        "description": "",
        "quantity": 5,
        "unit": "상자",
        "value_per_unit": 20000,
        "available_from": "2026-01-01",
    }


def _valid_until() -> str:
    return (datetime.date.today() + datetime.timedelta(days=60)).isoformat()


PAGES: list[Row] = [
    # --- marketplace ---
    page(
        "home",
        "GET",
        ALL,
        secrets="unpublished",
        visible=NOBODY,
        note="the public catalogue: drafts never appear in it, not even to their coordinator",
    ),
    page(
        "home",
        "GET",
        ALL,
        query="?format=csv",
        variant="csv",
        secrets="unpublished",
        visible=NOBODY,
        note="the catalogue's download: published listings only, as the page",
    ),
    page(
        "marketplace:listing_export",
        "GET",
        COORDINATORS,
        secrets="draft",
        visible=frozenset({COORD_OWN}),
        note="every listing of the coordinator's regions, drafts included",
    ),
    page("marketplace:listing_new", "GET", COORDINATORS),
    page(
        "marketplace:listing_new",
        "POST",
        COORDINATORS,
        ok=(422,),
        note="an empty form: 422 shows the role check passed and nothing was written",
    ),
    page("marketplace:listing_import", "GET", COORDINATORS),
    page(
        "marketplace:listing_import",
        "POST",
        COORDINATORS,
        ok=(422,),
        note="no file: 422 shows the role check passed and nothing was written",
    ),
    page(
        "marketplace:listing_import_template",
        "GET",
        COORDINATORS,
        kwargs=lambda w: {"fmt": "csv"},
    ),
    page(
        "marketplace:listing_import_template",
        "GET",
        COORDINATORS,
        kwargs=lambda w: {"fmt": "xlsx"},
        variant="xlsx",
    ),
    page("marketplace:listing", "GET", ALL, obj="listing", note="published: public"),
    page(
        "marketplace:listing",
        "GET",
        ALL,
        obj="listing",
        variant="its claims",
        secrets="claim_texts",
        visible=CLAIM_SEEN,
        note="the claims on it only to those who see them: the coordinator of the listing, "
        "the case manager, the matches' donor and finance",
    ),
    page(
        "marketplace:listing",
        "GET",
        ALL,
        obj="listing",
        variant="household",
        secrets="household",
        visible=frozenset({CM_OWN}),
        note="and a household's code only to the case manager of its region",
    ),
    page(
        "marketplace:listing",
        "GET",
        frozenset({COORD_OWN}),
        obj="draft",
        variant="draft",
        note="a draft is shown to the coordinators of its region only (404 to others)",
    ),
    page(
        "marketplace:listing",
        "GET",
        frozenset({COORD_OWN, REP_OWN}),
        obj="gift",
        variant="donor's draft",
        visible=frozenset({COORD_OWN, REP_OWN}),
        note="a donor's draft: to the coordinator of its region and the donor's own "
        "representatives, on the page as in the API (exchange.selectors.listings_visible_to)",
    ),
    page(
        "marketplace:listing_claim",
        "POST",
        frozenset({CM_OWN}),
        obj="listing",
        secrets="household",
        data=lambda w: {
            "household": w.ids["household"],
            "quantity": 1,
            "justification": "같은 달 두 번째 신청",
        },
        refusals=(422,),
        note="case_manager_other passes the role check but the household is not among "
        "theirs: the form refuses it (422) without naming it",
    ),
    page(
        "marketplace:listing_edit", "POST", frozenset({COORD_OWN}), obj="draft", data=_listing_form
    ),
    page("marketplace:listing_publish", "POST", frozenset({COORD_OWN}), obj="draft"),
    page(
        "marketplace:listing_withdraw",
        "POST",
        frozenset({COORD_OWN}),
        obj="draft",
        data={"reason": "중복 등록"},
    ),
    page(
        "marketplace:claim_approve",
        "POST",
        frozenset({COORD_OWN}),
        obj="claim",
        visible=frozenset({COORD_OWN, CM_OWN}),
        unseen=SIGNED_IN - CLAIM_SEEN,
        note="a claim one cannot see is not found; one seen but not one's to decide: 403",
    ),
    page(
        "marketplace:claim_reject",
        "POST",
        frozenset({COORD_OWN}),
        obj="claim",
        data={"reason": "재고 부족"},
        visible=frozenset({COORD_OWN, CM_OWN}),
        unseen=SIGNED_IN - CLAIM_SEEN,
        note="a claim one cannot see is not found; one seen but not one's to decide: 403",
    ),
    page(
        "marketplace:claim_cancel",
        "POST",
        frozenset({COORD_OWN, CM_OWN}),
        obj="claim",
        data={"reason": "가구 사정 변경"},
        unseen=SIGNED_IN - CLAIM_SEEN,
        note="a claim one cannot see is not found; one seen but not one's to decide: 403",
    ),
    page(
        "marketplace:claim_fulfil",
        "POST",
        frozenset({CM_OWN}),
        obj="approved_claim",
        data={"quantity_received": 1},
        visible=frozenset({COORD_OWN, CM_OWN}),
        unseen=SIGNED_IN - CLAIM_SEEN,
        note="a claim one cannot see is not found; one seen but not one's to decide: 403",
    ),
    page(
        "marketplace:claims",
        "GET",
        SIGNED_IN,
        secrets="claim",
        visible=CLAIM_SEEN,
        note="everyone signed in has a list: of the claims claims_visible_to gives them",
    ),
    page(
        "marketplace:claims",
        "GET",
        SIGNED_IN,
        variant="household",
        secrets="household",
        visible=frozenset({CM_OWN}),
        note="a household's code only to the case manager of its region",
    ),
    page(
        "marketplace:claims",
        "GET",
        SIGNED_IN,
        query="?format=csv",
        variant="csv",
        secrets="household",
        visible=frozenset({CM_OWN}),
        note="the download names a household only as the page does",
    ),
    page(
        "marketplace:claim_page",
        "GET",
        CLAIM_SEEN,
        obj="claim",
        unseen=SIGNED_IN - CLAIM_SEEN,
        note="a claim one cannot see is not found (404), its body naming nothing",
    ),
    page(
        "marketplace:claim_page",
        "GET",
        CLAIM_SEEN,
        obj="claim",
        variant="household",
        secrets="household",
        visible=frozenset({CM_OWN}),
        unseen=SIGNED_IN - CLAIM_SEEN,
        note="the coordinator, the donor and finance see the claim, not the household's code",
    ),
    page(
        "marketplace:claim_page",
        "GET",
        CLAIM_SEEN,
        obj="claim",
        variant="messages",
        secrets="claim_message",
        visible=CLAIM_THREAD,
        unseen=SIGNED_IN - CLAIM_SEEN,
        note="finance sees the claim but not its thread, which is between the offices",
    ),
    page(
        "marketplace:claim_messages",
        "GET",
        CLAIM_THREAD,
        obj="claim",
        secrets="claim_message",
        unseen=SIGNED_IN - CLAIM_SEEN,
        note="the thread: a claim one cannot see is not found; finance sees it, gets 403",
    ),
    page(
        "marketplace:claim_messages",
        "POST",
        CLAIM_THREAD,
        obj="claim",
        secrets="claim_message",
        data={"body": "인계 시간을 알려 주세요"},
        ok=(302,),
        unseen=SIGNED_IN - CLAIM_SEEN,
        note="the offices and the donor write; finance (who sees the claim) gets 403",
    ),
    page(
        "marketplace:households",
        "GET",
        CASE_MANAGERS,
        secrets="household",
        visible=frozenset({CM_OWN}),
        note="each case manager sees the households of their regions only",
    ),
    page(
        "marketplace:households",
        "GET",
        CASE_MANAGERS,
        query="?format=csv",
        variant="csv",
        secrets="household",
        visible=frozenset({CM_OWN}),
    ),
    page(
        "marketplace:households",
        "GET",
        CASE_MANAGERS,
        query="?format=xlsx",
        variant="csv-peer",
        secrets="peer_household",
        visible=NOBODY,
        note="a download holds the user's own caseload only, not a colleague's households",
    ),
    page(
        "marketplace:follow_up_export",
        "GET",
        CASE_MANAGERS,
        secrets="closed_household",
        visible=frozenset({CM_OWN}),
        note="the follow-ups of the households of the case manager's regions",
    ),
    page("marketplace:household_new", "GET", CASE_MANAGERS),
    page(
        "marketplace:household_new",
        "POST",
        CASE_MANAGERS,
        data=lambda w: {"dong": w.codes["dong"], "size": 2, "notes": "새 가구"},
        ok=(302, 422),
        note="case_manager_other: 422, the dong is not one of theirs (role check passed)",
    ),
    page("marketplace:household", "GET", frozenset({CM_OWN}), obj="household"),
    page(
        "marketplace:household",
        "GET",
        frozenset({CM_OWN}),
        obj="peer_household",
        variant="someone else's case",
        visible=NOBODY,
        note="case_manager_own covers its dong but it is another case manager's case: 200 "
        "is the purpose form, with nothing of the household on it",
    ),
    page(
        "marketplace:household",
        "GET",
        frozenset({CM_OWN}),
        obj="peer_household",
        variant="with a purpose",
        query="?purpose=handover&purpose_detail=",
        note="opened for a stated purpose (the GET writes its access record, the one "
        "write a GET may do; the access records are not among the watched tables)",
    ),
    page(
        "marketplace:household_edit",
        "POST",
        frozenset({CM_OWN}),
        obj="household",
        data={"size": 4, "notes": "수정한 메모"},
    ),
    page(
        "marketplace:household_edit",
        "POST",
        frozenset({CM_OWN}),
        obj="peer_household",
        variant="someone else's case, no purpose",
        data={"size": 4, "notes": "목적 없는 수정"},
        ok=(400,),
        visible=NOBODY,
        note="case_manager_own: 400 and the purpose form again, nothing saved or shown",
    ),
    page(
        "marketplace:household_close",
        "POST",
        frozenset({CM_OWN}),
        obj="household",
        ok=(200, 302, 409),
        data={"reason": "자립 완료"},
    ),
    page(
        "marketplace:household_reopen",
        "POST",
        frozenset({CM_OWN}),
        obj="closed_household",
        data={"reason": "재발 징후로 사례 재개"},
        ok=(200, 302),
    ),
    page(
        "marketplace:follow_up_report",
        "GET",
        frozenset({COORD_OWN, COORD_OTHER, FINANCE}),
        secrets="closed_household",
        visible=NOBODY,
        note="completion figures per district: no household is named",
    ),
    page(
        "marketplace:follow_up_record",
        "POST",
        frozenset({CM_OWN}),
        obj="follow_up",
        secrets="closed_household",
        data=lambda w: {
            f"fu{w.ids['follow_up']}-note": "잘 지내심",
            f"fu{w.ids['follow_up']}-outcome": "stable",
        },
    ),
    page(
        "marketplace:wallet",
        "GET",
        frozenset({CM_OWN, FINANCE}),
        obj="wallet",
        kwargs=lambda w: {"code": w.codes["wallet_region"]},
        note="the wallet of 대덕구: its case manager and finance",
    ),
    page(
        "marketplace:wallet",
        "GET",
        frozenset({CM_OWN, FINANCE}),
        obj="wallet",
        kwargs=lambda w: {"code": w.codes["wallet_region"]},
        query="?format=csv",
        variant="csv",
        secrets="wallet_account",
        visible=frozenset({CM_OWN, FINANCE}),
    ),
    page(
        "marketplace:monthly_report",
        "GET",
        frozenset({COORD_OWN, COORD_OTHER, FINANCE}),
        note="coordinators of a district (their own, by default) and finance",
    ),
    page(
        "marketplace:monthly_report",
        "GET",
        frozenset({COORD_OWN, FINANCE}),
        query="?district=3017000000&format=xlsx",  # 서구
        variant="xlsx",
        note="서구's pack: its coordinator and finance; 유성구's coordinator is refused",
    ),
    page(
        "marketplace:duplicate_review",
        "GET",
        frozenset({COORD_OWN, COORD_OTHER, FINANCE}),
        secrets="claim",
        visible=frozenset({COORD_OWN, FINANCE}),
        note="a coordinator sees the flagged claims on their region's listings only",
    ),
    page(
        "marketplace:duplicate_review",
        "GET",
        frozenset({COORD_OWN, COORD_OTHER, FINANCE}),
        variant="household",
        secrets="household",
        visible=NOBODY,
        note="reviewers judge the reason: the household is never named here",
    ),
    # --- people ---
    page(
        "dashboard",
        "GET",
        SIGNED_IN,
        secrets="household",
        visible=frozenset({CM_OWN}),
        note="household codes and notes only on the dashboard of its case manager",
    ),
    # --- people: one's own account ---
    page("profile", "GET", SIGNED_IN, note="one's own profile: there is no other's to ask for"),
    page(
        "profile",
        "POST",
        SIGNED_IN,
        data={"first_name": "", "office": "", "office_phone": "010-1234-5678", "email": ""},
        ok=(422,),
        note="a mobile number is refused by the form after the permission check",
    ),
    # --- one's own notifications (inbox) ---
    page(
        "inbox:list",
        "GET",
        SIGNED_IN,
        secrets="notification",
        visible=frozenset({COORD_OWN}),
        note="each sees their own notifications only",
    ),
    page(
        "inbox:open",
        "POST",
        frozenset({COORD_OWN}),
        obj="notification",
        ok=(302,),
        note="another user's notification is not found (404), whatever their role",
    ),
    page("inbox:read_all", "POST", SIGNED_IN, ok=(302,), note="marks one's own only"),
    page("inbox:preferences", "GET", SIGNED_IN),
    page(
        "inbox:preferences",
        "POST",
        SIGNED_IN,
        data={"email": "hourly"},
        ok=(422,),
        note="an unknown choice is refused by the form after the permission check",
    ),
    page("password_change", "GET", SIGNED_IN),
    page(
        "password_change",
        "POST",
        SIGNED_IN,
        data={"old_password": "wrong", "new_password1": "", "new_password2": ""},
        note="a wrong old password: the form again, nothing changed",
    ),
    page("password_change_done", "GET", SIGNED_IN),
    page("password_reset", "GET", ALL),
    page(
        "password_reset",
        "POST",
        ALL,
        data={"email": "nobody@example.invalid"},
        ok=(302,),
        note="the same answer whether or not the address is known",
    ),
    page("password_reset_done", "GET", ALL),
    page(
        "password_reset_confirm",
        "GET",
        ALL,
        kwargs=lambda w: {"uidb64": "MA", "token": "set-password"},
        note="an invalid link says so, to anyone",
    ),
    page(
        "password_reset_confirm",
        "POST",
        ALL,
        kwargs=lambda w: {"uidb64": "MA", "token": "set-password"},
        data={"new_password1": "x", "new_password2": "x"},
        note="an invalid link sets nothing",
    ),
    page("password_reset_complete", "GET", ALL),
    # --- finance: matching (donors) ---
    page(
        "donors_finance:matching",
        "GET",
        frozenset({FINANCE}),
        secrets="new_pledge",
        visible=frozenset({FINANCE, REP_OWN}),
    ),
    page(
        "donors_finance:matching",
        "GET",
        frozenset({FINANCE}),
        query="?format=csv",
        variant="csv",
    ),
    page(
        "donors_finance:pledge_confirm",
        "POST",
        frozenset({FINANCE}),
        obj="new_pledge",
        visible=frozenset({FINANCE, REP_OWN}),
    ),
    page(
        "donors_finance:donor_verify",
        "POST",
        frozenset({FINANCE}),
        obj="unverified_donor",
    ),
    # --- finance: the ledger ---
    page("ledger:accounts", "GET", frozenset({FINANCE})),
    page("ledger:statement", "GET", frozenset({FINANCE}), obj="wallet"),
    page(
        "ledger:statement",
        "GET",
        frozenset({FINANCE}),
        obj="wallet",
        query="?format=csv",
        variant="csv",
    ),
    page("ledger:transaction", "GET", frozenset({FINANCE}), obj="transaction"),
    page("ledger:trial_balance", "GET", frozenset({FINANCE})),
    page(
        "ledger:trial_balance",
        "GET",
        frozenset({FINANCE}),
        query="?format=csv",
        variant="csv",
        secrets="wallet_account",
        visible=frozenset({FINANCE, CM_OWN}),
    ),
    page("ledger:verify", "GET", frozenset({FINANCE})),
    page("ledger:verify", "POST", frozenset({FINANCE})),
    page("ledger:proposals", "GET", frozenset({FINANCE}), secrets="proposal"),
    page(
        "ledger:proposal_grant",
        "POST",
        frozenset({FINANCE}),
        data=lambda w: {
            "grant-region": w.codes["seogu"],
            "grant-amount": "300",
            "grant-reason": "분기 배정",
        },
    ),
    page(
        "ledger:proposal_correction",
        "POST",
        frozenset({FINANCE}),
        data=lambda w: {
            "correction-target": str(w.ids["transaction"]),
            "correction-reason": "잘못된 지급",
        },
        ok=(200, 302, 409),
    ),
    page("ledger:proposal_approve", "POST", frozenset({FINANCE}), obj="proposal"),
    page(
        "ledger:proposal_reject",
        "POST",
        frozenset({FINANCE}),
        obj="proposal",
        data={"note": "근거 부족"},
    ),
    page("ledger:chart", "GET", frozenset({FINANCE})),
    # --- the donor portal ---
    page(
        "donors:portal",
        "GET",
        REPS,
        secrets="donor",
        visible=frozenset({REP_OWN}),
        note="each representative lands on their own donor",
    ),
    page("donors:donor", "GET", frozenset({REP_OWN}), obj="donor"),
    page(
        "donors:donor",
        "GET",
        frozenset({REP_OWN}),
        obj="donor",
        variant="household",
        secrets="household",
        visible=NOBODY,
        note="a donor never sees a household",
    ),
    page(
        "donors:profile",
        "POST",
        frozenset({REP_OWN}),
        obj="donor",
        data={"contact_name": "새 담당자", "contact_email": "new@example.kr"},
    ),
    page(
        "donors:pledge_new",
        "POST",
        frozenset({REP_OWN}),
        obj="donor",
        ok=(422,),
        note="an empty form: 422 shows the representative check passed",
    ),
    page("donors:gift_new", "GET", frozenset({REP_OWN}), obj="donor"),
    page(
        "donors:gift_new",
        "POST",
        frozenset({REP_OWN}),
        obj="donor",
        ok=(422,),
        note="an empty form: 422 shows the representative check passed",
    ),
    page(
        "donors:match_commit",
        "POST",
        frozenset({REP_OWN}),
        obj="donor",
        kwargs=lambda w: {"pk": w.ids["donor"], "match_pk": w.ids["waiting_match"]},
    ),
    page(
        "donors:match_commit",
        "POST",
        NOBODY,
        obj="donor",
        variant="through another donor",
        kwargs=lambda w: {"pk": w.ids["other_donor"], "match_pk": w.ids["waiting_match"]},
        secrets="match",
        visible=frozenset({REP_OWN, FINANCE, COORD_OWN, CM_OWN}),
        unseen=frozenset({REP_OTHER}),
        note="through their own donor's page a representative whose pledges cannot fund "
        "the match gets 404, as for an id that does not exist (409 only for a match "
        "committed with that donor's own pledge meanwhile)",
    ),
    page(
        "donors:receipt",
        "GET",
        frozenset({REP_OWN, FINANCE}),
        obj="donor",
        kwargs=lambda w: {"pk": w.ids["donor"], "year": datetime.date.today().year},
    ),
    page(
        "donors:receipt",
        "GET",
        frozenset({REP_OWN, FINANCE}),
        obj="donor",
        kwargs=lambda w: {"pk": w.ids["donor"], "year": datetime.date.today().year},
        query="?format=csv",
        variant="csv",
    ),
    page(
        "donors:receipt_new",
        "POST",
        frozenset({REP_OWN, FINANCE}),
        obj="donor",
        kwargs=lambda w: {"pk": w.ids["donor"], "year": datetime.date.today().year},
        ok=(409,),
        note="the world's donor has no donation used in this year yet: the service "
        "refuses to issue (409) once the permission check has passed",
    ),
    page(
        "donors:receipt_issue",
        "GET",
        frozenset({REP_OWN, FINANCE}),
        obj="receipt_issue",
        kwargs=lambda w: {"pk": w.ids["donor"], "issue_pk": w.ids["receipt_issue"]},
    ),
    page(
        "donors:receipt_issue",
        "GET",
        NOBODY,
        obj="receipt_issue",
        variant="through another donor",
        kwargs=lambda w: {"pk": w.ids["other_donor"], "issue_pk": w.ids["receipt_issue"]},
        visible=frozenset({REP_OWN, FINANCE}),
        unseen=frozenset({REP_OTHER, FINANCE}),
        note="an issue is found only under its own donor: through another donor it is "
        "not found, for finance too",
    ),
    page(
        "donors:pledge_withdraw",
        "POST",
        frozenset({REP_OWN}),
        obj="pledge",
        visible=frozenset({REP_OWN, FINANCE}),
        data={"reason": "사업 종료"},
    ),
    page(
        "donors:review",
        "GET",
        COORDINATORS,
        secrets="gift",
        visible=frozenset({COORD_OWN, REP_OWN}),
        note="a coordinator reviews donors' drafts in their own regions only",
    ),
    page(
        "donors:review_publish",
        "POST",
        frozenset({COORD_OWN}),
        obj="gift",
        visible=frozenset({COORD_OWN, REP_OWN}),
    ),
    # --- audit: the personal-data access records ---
    page(
        "audit:access_records",
        "GET",
        frozenset({FINANCE, ADMIN}),
        secrets="access_record",
        note="finance and administrators only; everyone else signed in: 403",
    ),
    page(
        "audit:access_records",
        "GET",
        frozenset({FINANCE, ADMIN}),
        variant="csv",
        query="?format=csv",
        secrets="access_record",
        note="the export writes its own access record (not a watched table)",
    ),
    page(
        "audit:access_report",
        "GET",
        frozenset({FINANCE, ADMIN}),
        query=f"?month={datetime.date.today():%Y-%m}",
        secrets="access_record",
        note="the month of the world's access record",
    ),
]

API: list[Row] = [
    api("api-root", "GET", SIGNED_IN),
    # --- sign-in ---
    api(
        "auth-token",
        "POST",
        ALL,
        data={"username": "no_role", "password": TOKEN_PASSWORD},
        ok=(200,),
        asked=(ANON, NO_ROLE),
        note="the sign-in reads the credentials in the body and no session, so the answer "
        "is the same for everyone: asked signed out and signed in once each",
    ),
    api(
        "auth-token",
        "POST",
        NOBODY,
        variant="wrong password",
        data={"username": "no_role", "password": "not-the-password"},
        refusals=(400,),
        asked=(ANON, NO_ROLE),
        note="400 invalid_credentials, and no token in the body",
        secrets="none",
    ),
    api(
        "auth-token",
        "DELETE",
        SIGNED_IN,
        ok=(204,),
        note="revokes the caller's token (with a session: the user's); anonymous: 401",
    ),
    # --- one's own notifications ---
    api(
        "notification-list",
        "GET",
        SIGNED_IN,
        secrets="notification",
        visible=frozenset({COORD_OWN}),
        note="each lists their own notifications only",
    ),
    api(
        "notification-read",
        "POST",
        SIGNED_IN,
        data=lambda w: {"ids": [w.ids["notification"]]},
        ok=(200,),
        note="marks the caller's own only: another's id is ignored",
    ),
    api("region-list", "GET", ALL),
    api("region-detail", "GET", ALL, kwargs=lambda w: {"code": w.codes["seogu"]}),
    api("category-list", "GET", ALL),
    api("category-detail", "GET", ALL, kwargs=lambda w: {"code": w.codes["category"]}),
    # --- ledger ---
    api(
        "ledger-account-list",
        "GET",
        SIGNED_IN,
        secrets="wallet_account",
        visible=frozenset({CM_OWN, FINANCE}),
        note="finance: every account; a post holder: the wallets of their exchange regions",
    ),
    api(
        "ledger-account-detail",
        "GET",
        frozenset({CM_OWN, FINANCE}),
        obj="wallet",
        secrets="wallet_account",
    ),
    api(
        "ledger-account-statement",
        "GET",
        frozenset({CM_OWN, FINANCE}),
        obj="wallet",
    ),
    api("ledger-transaction-list", "GET", frozenset({FINANCE}), secrets="transaction"),
    api("ledger-transaction-detail", "GET", frozenset({FINANCE}), obj="transaction"),
    api("trial-balance", "GET", frozenset({FINANCE})),
    api("ledger-proposal-list", "GET", frozenset({FINANCE}), secrets="proposal"),
    api(
        "ledger-proposal-list",
        "POST",
        frozenset({FINANCE}),
        data=lambda w: {
            "kind": "grant",
            "region": w.codes["seogu"],
            "amount": 300,
            "reason": "분기 배정",
        },
        ok=(201,),
    ),
    api("ledger-proposal-detail", "GET", frozenset({FINANCE}), obj="proposal"),
    api("ledger-proposal-approve", "POST", frozenset({FINANCE}), obj="proposal", ok=(200,)),
    api("ledger-proposal-reject", "POST", frozenset({FINANCE}), obj="proposal", ok=(200,)),
    # --- listings ---
    api(
        "listing-list",
        "GET",
        ALL,
        secrets="draft",
        visible=frozenset({COORD_OWN}),
        note="drafts only to the coordinators of their region",
    ),
    api(
        "listing-list",
        "POST",
        frozenset({COORD_OWN}),
        data=lambda w: {
            "region": w.codes["seogu"],
            "kind": "goods",
            "category": w.codes["category"],
            "title": "새 목록",
            "quantity": 3,
            "unit": "상자",
            "value_per_unit_krw": 10000,
            "available_from": "2026-01-01",
        },
        ok=(201,),
        note="a listing of 서구: its coordinator only",
    ),
    api(
        "listing-list",
        "POST",
        frozenset({REP_OWN}),
        variant="donor's gift",
        refusals=(400,),
        secrets="donor",
        visible=frozenset({REP_OWN, FINANCE}),
        data=lambda w: {
            "region": w.codes["seogu"],
            "donor_id": w.ids["donor"],
            "kind": "goods",
            "category": w.codes["category"],
            "title": "새 현물 기부",
            "quantity": 3,
            "unit": "상자",
            "value_per_unit_krw": 10000,
            "available_from": "2026-01-01",
        },
        ok=(201,),
        note="an in-kind gift of a donor: its representatives only; a coordinator (or "
        "anyone else who may draft) naming the donor gets 400, as for an unknown donor",
    ),
    api("listing-detail", "GET", ALL, obj="listing"),
    api("listing-detail", "GET", frozenset({COORD_OWN}), obj="draft", variant="draft"),
    api(
        "listing-detail",
        "GET",
        frozenset({COORD_OWN, REP_OWN}),
        obj="gift",
        variant="donor's draft",
    ),
    api(
        "listing-detail",
        "PATCH",
        frozenset({COORD_OWN}),
        obj="draft",
        data={"title": "고친 초안"},
        ok=(200,),
    ),
    api(
        "listing-detail",
        "PATCH",
        frozenset({COORD_OWN}),
        obj="listing",
        variant="published",
        data={"title": "고친 제목"},
        ok=(409,),
        visible=ALL,
        note="a published listing is public, so everyone finds it: the service refuses "
        "(403) all but its coordinator, who gets 409 (its terms are fixed once published)",
    ),
    api(
        "listing-detail",
        "PATCH",
        frozenset({REP_OWN}),
        obj="gift",
        variant="donor's draft",
        data={"title": "고친 기부"},
        ok=(200,),
        visible=frozenset({COORD_OWN, REP_OWN}),
        note="a gift's terms are its representatives' to edit; its coordinator sees it (403)",
    ),
    api("listing-publish", "POST", frozenset({COORD_OWN}), obj="draft", ok=(200,)),
    api(
        "listing-publish",
        "POST",
        frozenset({COORD_OWN}),
        obj="listing",
        variant="published",
        ok=(409,),
        visible=ALL,
        note="already published: its coordinator gets 409, everyone else 403",
    ),
    api(
        "listing-publish",
        "POST",
        frozenset({COORD_OWN}),
        obj="gift",
        variant="donor's draft",
        visible=frozenset({COORD_OWN, REP_OWN}),
        ok=(200,),
        note="a donor's representative drafts a gift; a coordinator publishes it",
    ),
    api("listing-withdraw", "POST", frozenset({COORD_OWN}), obj="draft", ok=(200,)),
    api(
        "listing-withdraw",
        "POST",
        frozenset({COORD_OWN}),
        obj="listing",
        variant="published",
        ok=(409,),
        visible=ALL,
        note="claims hold part of it: its coordinator gets 409, everyone else 403",
    ),
    # --- households ---
    api(
        "household-list",
        "GET",
        SIGNED_IN,
        secrets="household",
        visible=frozenset({CM_OWN}),
        note="an empty list for anyone but the case managers of the region",
    ),
    api(
        "household-list",
        "POST",
        frozenset({CM_OWN}),
        data=lambda w: {"dong": w.codes["dong"], "size": 2},
        ok=(201,),
        note="a household of a 대덕구 dong: its case manager only",
    ),
    api("household-detail", "GET", frozenset({CM_OWN}), obj="household"),
    api(
        "household-detail",
        "PATCH",
        frozenset({CM_OWN}),
        obj="household",
        data={"size": 4},
        ok=(200,),
    ),
    api("household-close", "POST", frozenset({CM_OWN}), obj="household", ok=(200, 409)),
    api(
        "household-record-follow-up",
        "POST",
        frozenset({CM_OWN}),
        obj="closed_household",
        data=lambda w: {"follow_up": w.ids["follow_up"], "note": "잘 지내심", "outcome": "stable"},
        ok=(200,),
    ),
    # --- claims ---
    api(
        "claim-list",
        "GET",
        SIGNED_IN,
        secrets="claim",
        visible=CLAIM_SEEN,
        note="claims of one's households and on one's listings only",
    ),
    api(
        "claim-list",
        "POST",
        frozenset({CM_OWN}),
        secrets="household",
        data=lambda w: {
            "listing": w.ids["listing"],
            "household": w.ids["household"],
            "quantity": 1,
            "justification": "같은 달 두 번째 신청",
        },
        ok=(201,),
        refusals=(400,),
        note="case_manager_other: 400, the household is unknown to them (as if it did not exist)",
    ),
    api(
        "claim-detail",
        "GET",
        CLAIM_SEEN,
        obj="claim",
        unseen=SIGNED_IN - CLAIM_SEEN,
    ),
    api(
        "claim-detail",
        "GET",
        CLAIM_SEEN,
        obj="claim",
        variant="household",
        secrets="household",
        visible=frozenset({CM_OWN}),
        unseen=SIGNED_IN - CLAIM_SEEN,
        note="the coordinator, the donor and finance see the claim, not the household's code",
    ),
    api(
        "claim-messages",
        "GET",
        CLAIM_THREAD,
        obj="claim",
        secrets="claim_message",
        unseen=SIGNED_IN - CLAIM_SEEN,
        note="a claim one cannot see is not found; finance sees the claim, not its thread (403)",
    ),
    api(
        "claim-messages",
        "POST",
        CLAIM_THREAD,
        obj="claim",
        secrets="claim_message",
        data={"body": "인계 시간을 알려 주세요"},
        ok=(201,),
        unseen=SIGNED_IN - CLAIM_SEEN,
        note="the offices and the donor write; finance gets 403",
    ),
    api(
        "claim-approve",
        "POST",
        frozenset({COORD_OWN}),
        obj="claim",
        visible=frozenset({COORD_OWN, CM_OWN}),
        ok=(200,),
    ),
    api(
        "claim-reject",
        "POST",
        frozenset({COORD_OWN}),
        obj="claim",
        data={"reason": "재고 부족"},
        visible=frozenset({COORD_OWN, CM_OWN}),
        ok=(200,),
    ),
    api(
        "claim-cancel",
        "POST",
        frozenset({COORD_OWN, CM_OWN}),
        obj="claim",
        data={"reason": "가구 사정 변경"},
        ok=(200,),
    ),
    api(
        "claim-fulfil",
        "POST",
        frozenset({CM_OWN}),
        obj="approved_claim",
        data={"quantity_received": 1},
        visible=frozenset({COORD_OWN, CM_OWN}),
        ok=(200,),
    ),
    # --- donors, pledges, matches ---
    api(
        "donor-list",
        "GET",
        SIGNED_IN,
        secrets="donor",
        visible=frozenset({REP_OWN, FINANCE}),
        note="finance: every donor; a representative: their own; anyone else: none",
    ),
    api(
        "donor-list",
        "POST",
        frozenset({FINANCE}),
        data=lambda w: {
            "name": "새 후원기관",
            "kind": "social_cooperative",
            "business_number": w.codes["free_brn"],
            "home_region": w.codes["seogu"],
        },
        ok=(201,),
    ),
    api("donor-detail", "GET", frozenset({REP_OWN, FINANCE}), obj="donor"),
    api(
        "donor-detail",
        "PATCH",
        frozenset({FINANCE}),
        obj="donor",
        variant="name",
        data={"name": "바뀐 이름"},
        ok=(200,),
        refusals=(400,),
        visible=frozenset({REP_OWN, FINANCE}),
        note="donor_rep_own: 400, a representative keeps the contact fields only",
    ),
    api(
        "donor-detail",
        "PATCH",
        frozenset({REP_OWN, FINANCE}),
        obj="donor",
        data={"contact_name": "새 담당자"},
        ok=(200,),
    ),
    api("donor-verify", "POST", frozenset({FINANCE}), obj="unverified_donor", ok=(200,)),
    api(
        "pledge-list",
        "GET",
        SIGNED_IN,
        secrets="pledge",
        visible=frozenset({REP_OWN, FINANCE}),
    ),
    api(
        "pledge-list",
        "POST",
        frozenset({REP_OWN, FINANCE}),
        data=lambda w: {
            "donor": w.ids["donor"],
            "amount_krw": 3_000_000,
            "valid_until": _valid_until(),
        },
        ok=(201,),
        refusals=(400,),
        secrets="donor",
        visible=frozenset({REP_OWN, FINANCE}),
        note="donor_rep_other: 400, the donor is unknown to them (as if it did not exist)",
    ),
    api("pledge-detail", "GET", frozenset({REP_OWN, FINANCE}), obj="pledge"),
    api(
        "pledge-confirm",
        "POST",
        frozenset({FINANCE}),
        obj="new_pledge",
        visible=frozenset({REP_OWN, FINANCE}),
        ok=(200,),
    ),
    api(
        "pledge-withdraw",
        "POST",
        frozenset({REP_OWN, FINANCE}),
        obj="pledge",
        ok=(200,),
    ),
    api("match-list", "GET", SIGNED_IN),
    api("match-detail", "GET", frozenset({REP_OWN, FINANCE}), obj="match"),
    api(
        "match-detail",
        "GET",
        frozenset({REP_OWN, FINANCE}),
        obj="match",
        variant="household",
        secrets="household",
        visible=NOBODY,
        note="a match never shows the household",
    ),
    api(
        "match-commit",
        "POST",
        frozenset({REP_OWN}),
        obj="waiting_match",
        secrets="match",
        visible=frozenset({REP_OWN, FINANCE, COORD_OWN, CM_OWN}),
        ok=(200,),
        note="finance sees every match but commits none: it represents no donor",
    ),
]

#: URLs served as a group under one rule; each group is asked once per principal
#: through the URL named here.
GROUPS: list[Row] = [
    page(
        "admin:index",
        "GET",
        frozenset({ADMIN}),
        login="/admin/login/",
        note="the whole Django admin (admin:*): staff only, others to the admin login",
    ),
    page("login", "GET", ALL, ok=(200, 302), note="signed-in people are sent on"),
    page("logout", "POST", ALL, ok=(200, 302)),
    page("set_language", "POST", ALL, data={"language": "en", "next": "/"}, ok=(302,)),
    page("healthz", "GET", ALL),
    page("privacy", "GET", ALL, note="the privacy policy: public"),
    page("terms", "GET", ALL, note="the terms of use: public"),
    api(
        "schema",
        "GET",
        ALL,
        asked=(ANON, NO_ROLE),
        note="the OpenAPI document is public and the same for everyone; generating it "
        "takes a second, so it is asked signed out and signed in once each",
    ),
    page("swagger-ui", "GET", ALL, note="an HTML page: asked as a browser asks"),
]

#: Resolver entries covered by a rule instead of a row: the Django admin, and the
#: JSON 404 that answers every other address under /api/v1/.
GROUP_PREFIXES = ("admin:",)
GROUP_ROUTES = ("admin/",)
UNNAMED = {"api/v1/^[\\s\\S]*$": "the API's JSON 404 for unknown addresses"}

ROWS: list[Row] = PAGES + API + GROUPS


def cases() -> list[tuple[Row, str]]:
    return [(row, who) for row in ROWS for who in row.asked]
