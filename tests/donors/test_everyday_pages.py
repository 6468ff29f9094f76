"""The pages of donor representatives, finance and administrators in daily use:
each one's dashboard leads somewhere, finance reads every donor's receipt, and
the verification page opened by address explains itself."""

from __future__ import annotations

import datetime

import pytest

pytestmark = pytest.mark.django_db

THIS_YEAR = datetime.date.today().year


def test_a_donor_representative_dashboard_leads_to_the_portal(client, donor, donor_rep):
    client.force_login(donor_rep)
    html = client.get("/dashboard/").content.decode()
    assert "현재 담당 지역이 없습니다" not in html
    assert f'href="/donors/{donor.pk}/"' in html
    assert donor.name in html


def test_an_administrator_dashboard_leads_to_the_administration(client, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", password="pw-for-tests")
    client.force_login(admin)
    html = client.get("/dashboard/").content.decode()
    assert "현재 담당 지역이 없습니다" not in html
    assert "관리자 화면 열기" in html and 'href="/admin/"' in html


def test_finance_reads_any_donors_receipt(client, donor, finance):
    client.force_login(finance)
    page = client.get(f"/donors/{donor.pk}/receipts/{THIS_YEAR}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert donor.name in html and "124-81-00998" in html
    csv = client.get(f"/donors/{donor.pk}/receipts/{THIS_YEAR}/", {"format": "csv"})
    assert csv.status_code == 200
    assert client.get(f"/donors/{donor.pk + 1000}/receipts/{THIS_YEAR}/").status_code == 404


def test_others_still_cannot_read_a_receipt(client, donor, people, django_user_model):
    client.force_login(people["coord_seo"])
    refused = client.get(f"/donors/{donor.pk}/receipts/{THIS_YEAR}/")
    assert refused.status_code == 403
    assert donor.name not in refused.content.decode()
    other_rep = django_user_model.objects.create_user(username="rep2", password="pw-for-tests")
    from donors.models import Donor, DonorKind, DonorMembership

    theirs = Donor.objects.create(
        name="다른 후원기관",
        kind=DonorKind.SOCIAL_COOPERATIVE,
        business_number="2208162517",
        home_region=donor.home_region,
    )
    DonorMembership.objects.create(user=other_rep, donor=theirs)
    client.force_login(other_rep)
    assert client.get(f"/donors/{donor.pk}/receipts/{THIS_YEAR}/").status_code == 404


def test_the_verification_page_opened_by_address_offers_its_button(client, finance):
    client.force_login(finance)
    page = client.get("/finance/verify/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-action="verify"' in html and 'method="post"' in html
    assert client.post("/finance/verify/").status_code == 200


def test_a_pledge_notice_has_the_right_particle(client, donor, donor_rep):
    client.force_login(donor_rep)
    response = client.post(
        f"/donors/{donor.pk}/pledges/",
        {
            "pledge-amount": "1,000,000",
            "pledge-valid_until": (datetime.date.today() + datetime.timedelta(days=90)).isoformat(),
            "pledge-idempotency_key": "web-test-particle",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    from donors.models import Pledge

    number = Pledge.objects.get().pk
    expected = "을" if str(number)[-1] in "013678" else "를"
    assert f"약정 #{number}{expected} 등록했습니다" in html
    assert "을(를)" not in html


def test_finance_pages_name_donors_and_print_business_numbers(
    client, donor, finance, make_pledge, daejeon
):
    make_pledge(krw=100_000)
    client.force_login(finance)
    for url in ("/finance/", "/finance/trial-balance/"):
        html = client.get(url).content.decode()
        assert f"{donor.name} · " in html, url
        assert "후원기관 #" not in html, url
    from donors.models import Donor, DonorKind

    Donor.objects.create(
        name="새 후원기관",
        kind=DonorKind.SOCIAL_COOPERATIVE,
        business_number="3148212342",
        home_region=daejeon["서구"],
    )
    html = client.get("/finance/matching/").content.decode()
    assert "314-82-12342" in html
