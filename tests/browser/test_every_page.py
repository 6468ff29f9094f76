"""Every page of every role, on the demo data, at a phone's width (390×844) and
on a desktop (1280×900): each answers 200, none scrolls sideways at 390 px
(`document.documentElement.scrollWidth <= innerWidth`), and axe-core finds no
serious or critical accessibility violation at either width.

The pages are one table, PAGES: a row is (role, path), the path with
placeholders filled from the demo data (IDS). A new page is one more row.
One browser, one context per role. Screenshots in test-artifacts/: each role's
dashboard on a desktop and a phone-width page.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, Page

from donors.models import Donor
from exchange.models import Claim
from ledger.models import Account, Transaction
from marketplace.models import Household, Listing
from tests.browser.axe import axe_violations
from tests.browser.conftest import (
    ARTIFACTS,
    LIVE_SERVER,
    LOCAL,
    REPORT_VIOLATIONS,
    WAIT_FOR_HTMX,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

#: The demo login of each role (None: signed out).
ROLES = {
    "anonymous": None,
    "case_manager": "demo_cm_seogu",
    "case_manager_of_a_dong": "demo_cm_gwanjeo2",
    "coordinator": "demo_coord_seogu",
    "donor_rep": "demo_donor_rep",
    "finance": "demo_finance",
    "admin": "demo_admin",
}

#: (role, path): every page each role can open. Placeholders come from IDS.
PAGES = [
    ("anonymous", "/"),
    ("anonymous", "/listings/{listing}/"),
    ("anonymous", "/accounts/login/"),
    ("anonymous", "/accounts/password/reset/"),
    ("anonymous", "/accounts/password/reset/sent/"),
    ("anonymous", "/privacy/"),
    ("anonymous", "/terms/"),
    ("case_manager", "/dashboard/"),
    ("case_manager", "/"),
    ("case_manager", "/listings/{listing}/"),
    ("case_manager", "/claims/"),
    ("case_manager", "/claims/{claim}/"),
    ("case_manager", "/households/"),
    ("case_manager", "/households/new/"),
    ("case_manager", "/households/{household}/"),
    ("case_manager", "/wallet/{wallet}/"),
    ("case_manager", "/accounts/profile/"),
    ("case_manager", "/accounts/password/"),
    ("case_manager", "/accounts/password/done/"),
    ("case_manager", "/inbox/"),
    ("case_manager", "/inbox/preferences/"),
    ("case_manager_of_a_dong", "/dashboard/"),
    ("case_manager_of_a_dong", "/households/"),
    # Someone else's case: first the purpose form, then the record with a purpose.
    ("case_manager_of_a_dong", "/households/{household}/"),
    ("case_manager_of_a_dong", "/households/{household}/?purpose=handover"),
    ("coordinator", "/dashboard/"),
    ("coordinator", "/listings/new/"),
    ("coordinator", "/listings/{listing}/"),
    ("coordinator", "/claims/"),
    ("coordinator", "/claims/{claim}/"),
    ("coordinator", "/review/duplicates/"),
    ("coordinator", "/donors/review/"),
    ("coordinator", "/wallet/{wallet}/"),
    ("coordinator", "/accounts/profile/"),
    ("coordinator", "/inbox/"),
    ("coordinator", "/listings/import/"),
    ("coordinator", "/reports/monthly/"),
    ("coordinator", "/follow-ups/report/"),
    ("donor_rep", "/dashboard/"),
    ("donor_rep", "/donors/"),
    ("donor_rep", "/donors/{donor}/gifts/new/"),
    ("donor_rep", "/donors/{donor}/receipts/{year}/"),
    ("donor_rep", "/accounts/profile/"),
    ("donor_rep", "/claims/"),
    ("donor_rep", "/inbox/"),
    ("finance", "/dashboard/"),
    ("finance", "/finance/"),
    ("finance", "/finance/accounts/{account}/"),
    ("finance", "/finance/transactions/{transaction}/"),
    ("finance", "/finance/trial-balance/"),
    ("finance", "/finance/verify/"),
    ("finance", "/finance/proposals/"),
    ("finance", "/finance/chart/"),
    ("finance", "/finance/matching/"),
    ("finance", "/finance/access-records/"),
    ("finance", "/finance/access-records/report/"),
    ("finance", "/donors/{donor}/receipts/{year}/"),
    ("finance", "/review/duplicates/"),
    ("finance", "/wallet/{wallet}/"),
    ("finance", "/accounts/profile/"),
    ("finance", "/claims/"),
    ("finance", "/claims/{claim}/"),
    ("finance", "/reports/monthly/"),
    ("finance", "/follow-ups/report/"),
    ("finance", "/inbox/"),
    ("admin", "/dashboard/"),
    ("admin", "/"),
    ("admin", "/accounts/profile/"),
    ("admin", "/privacy/"),
    ("admin", "/admin/"),
    ("admin", "/admin/people/user/"),
]

#: Pages of Django's admin site: its own layout, without the site's header and
#: footer. Its forms (e.g. /admin/people/user/add/) are Django's own and left out.
DJANGO_ADMIN = "/admin/"

#: The site's frame on every page of its own: the skip link is the first
#: thing the Tab key reaches and leads to <main id="main">; the footer links
#: the privacy policy and the terms.
FRAME = """() => {
  const first = document.querySelector(
    "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex='-1'])");
  return {
    skipFirst: !!first && first.classList.contains("skip-link")
      && first.getAttribute("href") === "#main",
    main: !!document.querySelector("main#main"),
    privacy: !!document.querySelector("footer a[href='/privacy/']"),
    terms: !!document.querySelector("footer a[href='/terms/']"),
  };
}"""


def _ids() -> dict[str, object]:
    claim = Claim.objects.filter(household__dong__path__contains="3017000000").order_by("pk")
    account = Account.objects.filter(purpose="wallet").order_by("pk").first()
    return {
        "listing": Listing.objects.filter(state="published").order_by("pk").first().pk,
        "claim": claim.first().pk,
        "household": Household.objects.filter(case_manager__username="demo_cm_seogu")
        .order_by("pk")
        .first()
        .pk,
        "wallet": "3017000000",
        "donor": Donor.objects.order_by("pk").first().pk,
        "year": timezone.localdate().year,
        "account": account.pk,
        "transaction": Transaction.objects.order_by("pk").first().pk,
    }


def _context_page(browser: Browser, problems: list[str], outside: list[str]) -> Page:
    """A fresh context as tests/browser/conftest.py's `page` fixture makes it."""
    context = browser.new_context(base_url=LIVE_SERVER["url"], locale="ko-KR")
    context.set_default_timeout(15_000)
    context.add_init_script(REPORT_VIOLATIONS)
    context.add_init_script(WAIT_FOR_HTMX)

    def block(route):
        outside.append(route.request.url)
        route.abort()

    context.route(lambda url: not LOCAL.match(url), block)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            problems.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{page.url}: script error: {error}"))
    return page


def _overflow(page: Page) -> str | None:
    """The widest elements when the page scrolls sideways, else None."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width <= inner:
        return None
    culprits = page.evaluate(
        """(inner) => [...document.querySelectorAll("body *")]
          .filter((e) => e.getBoundingClientRect().right > inner + 1)
          .slice(-5)
          .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
               (typeof e.className === "string" && e.className
                 ? "." + e.className.trim().split(/\\s+/).join(".") : "") +
               " right=" + Math.round(e.getBoundingClientRect().right))""",
        inner,
    )
    return f"{width} px wide at {inner} px: " + ", ".join(culprits)


@pytest.fixture
def demo(settings, live_server):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    LIVE_SERVER["url"] = live_server.url


def test_every_page_of_every_role_fits_a_phone_and_passes_axe(browser: Browser, demo):
    ids = _ids()
    ARTIFACTS.mkdir(exist_ok=True)
    failures: list[str] = []
    problems: list[str] = []
    outside: list[str] = []
    phone_shot = False
    for role, username in ROLES.items():
        paths = [path.format(**ids) for who, path in PAGES if who == role]
        page = _context_page(browser, problems, outside)
        try:
            if username:
                sign_in(page, username)
            for path in paths:
                page.set_viewport_size(DESKTOP)
                response = page.goto(path)
                if response is None or response.status != 200:
                    failures.append(f"{role} {path}: status {response and response.status}")
                    continue
                page.wait_for_load_state("load")
                if not path.startswith(DJANGO_ADMIN):
                    frame = page.evaluate(FRAME)
                    missing = [name for name, present in frame.items() if not present]
                    if missing:
                        failures.append(f"{role} {path}: the page lacks {', '.join(missing)}")
                for line in axe_violations(page):
                    failures.append(f"{role} {path} (desktop): {line}")
                if path == "/dashboard/" or (role == "anonymous" and path == "/"):
                    page.screenshot(path=str(ARTIFACTS / f"every-page-{role}-dashboard.png"))
                page.set_viewport_size(PHONE)
                wide = _overflow(page)
                if wide:
                    failures.append(f"{role} {path} (390 px): {wide}")
                for line in axe_violations(page):
                    failures.append(f"{role} {path} (390 px): {line}")
                if role == "anonymous" and path == "/":
                    page.screenshot(path=str(ARTIFACTS / "every-page-catalogue-390.png"))
                if role == "finance" and path.startswith("/finance/accounts/") and not phone_shot:
                    page.screenshot(
                        path=str(ARTIFACTS / "every-page-finance-statement-390.png"),
                        full_page=True,
                    )
                    phone_shot = True
        finally:
            page.context.close()
    failures += [f"Content-Security-Policy violation or script error: {p}" for p in problems]
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
    assert outside == [], outside
    assert phone_shot
