"""Registering and changing donors: who may, what is kept, what is audited."""

import pytest

from config.exceptions import NotAllowed
from donors.exceptions import InvalidDonor
from donors.models import Donor, DonorMembership
from donors.services import donor_register, donor_update
from tests.helpers import transitions_of


def _fields(daejeon, **extra) -> dict:
    return {
        "name": "유성 늘봄 자활센터",
        "kind": "self_sufficiency",
        "business_number": "3148212342",
        "home_region": daejeon["유성구"],
        **extra,
    }


def test_only_finance_registers_and_a_number_is_registered_once(finance, donor_rep, daejeon):
    with pytest.raises(NotAllowed):
        donor_register(by=donor_rep, **_fields(daejeon))
    first = donor_register(by=finance, **_fields(daejeon))
    # A second registration of the number (as when two requests race past the
    # form's check) is refused by the database and answered like the check.
    with pytest.raises(InvalidDonor) as refused:
        donor_register(by=finance, **_fields(daejeon, name="다른 이름"))
    assert list(refused.value.extra["fields"]) == ["business_number"]
    assert Donor.objects.filter(business_number="3148212342").count() == 1
    assert [e.transition for e in transitions_of("donor", first.pk)] == ["register"]


def test_a_representative_changes_only_their_own_donors_contact(
    donor, donor_rep, finance, django_user_model
):
    stranger = django_user_model.objects.create_user(username="stranger")
    with pytest.raises(NotAllowed):
        donor_update(donor=donor, by=stranger, contact_name="남")
    with pytest.raises(NotAllowed):
        donor_update(donor=donor, by=donor_rep, name="새 이름")
    donor.refresh_from_db()
    assert (donor.name, donor.contact_name) == ("함께나눔 사회적협동조합", "")
    assert not transitions_of("donor", donor.pk, transition="update").exists()

    donor_update(donor=donor, by=donor_rep, contact_name="김담당")
    donor_update(donor=donor, by=finance, name="새 이름", is_active=False)
    donor.refresh_from_db()
    assert (donor.contact_name, donor.name, donor.is_active) == ("김담당", "새 이름", False)
    updates = transitions_of("donor", donor.pk, transition="update")
    assert [(e.by, e.reason) for e in updates] == [
        (donor_rep, "contact_name"),
        (finance, "name, is_active"),
    ]


def test_an_ended_representation_changes_nothing(donor, donor_rep):
    DonorMembership.objects.filter(user=donor_rep).delete()
    with pytest.raises(NotAllowed):
        donor_update(donor=donor, by=donor_rep, contact_name="김담당")
