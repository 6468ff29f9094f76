import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from people.exceptions import MembershipError
from people.models import RegionMembership, Role
from people.permissions import holds_role, is_finance, may_act, posts_read_once, regions_for
from people.services import finance_group, membership_end, membership_grant, membership_reassign

NOW = timezone.now()
TODAY = timezone.localdate(NOW)
YESTERDAY = TODAY - datetime.timedelta(days=1)
TOMORROW = TODAY + datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _clock_at_import(at):
    # TODAY was taken when the module was imported; the clock stays there, so a
    # run across midnight does not move "today" under these dates.
    at.set(NOW)


def test_case_manager_of_a_district_may_act_for_its_dongs(daejeon, make_member):
    user = make_member(daejeon["서구"], Role.CASE_MANAGER)
    assert may_act(user, Role.CASE_MANAGER, daejeon["관저2동"])
    assert may_act(user, Role.CASE_MANAGER, daejeon["서구"])


def test_case_manager_of_a_dong_may_not_act_for_its_district_or_another(daejeon, make_member):
    user = make_member(daejeon["관저2동"], Role.CASE_MANAGER)
    assert may_act(user, Role.CASE_MANAGER, daejeon["관저2동"])
    assert not may_act(user, Role.CASE_MANAGER, daejeon["서구"])
    assert not may_act(user, Role.CASE_MANAGER, daejeon["대덕구"])
    assert not may_act(user, Role.CASE_MANAGER, daejeon["관저1동"])


def test_ended_membership_grants_nothing(daejeon, make_member):
    user = make_member(
        daejeon["서구"],
        Role.CASE_MANAGER,
        starts_on=TODAY - datetime.timedelta(days=30),
        ends_on=YESTERDAY,
    )
    assert not may_act(user, Role.CASE_MANAGER, daejeon["관저2동"])
    assert not regions_for(user, Role.CASE_MANAGER).exists()
    # It did grant the role on its last day.
    assert may_act(user, Role.CASE_MANAGER, daejeon["관저2동"], on=YESTERDAY)


def test_membership_not_yet_started_grants_nothing(daejeon, make_member):
    user = make_member(daejeon["서구"], Role.COORDINATOR, starts_on=TOMORROW)
    assert not may_act(user, Role.COORDINATOR, daejeon["서구"])
    assert may_act(user, Role.COORDINATOR, daejeon["서구"], on=TOMORROW)


def test_role_must_match(daejeon, make_member):
    user = make_member(daejeon["서구"], Role.COORDINATOR)
    assert may_act(user, Role.COORDINATOR, daejeon["관저2동"])
    assert not may_act(user, Role.CASE_MANAGER, daejeon["관저2동"])


def test_anonymous_and_deactivated_users_may_not_act(daejeon, make_member):
    assert not may_act(AnonymousUser(), Role.COORDINATOR, daejeon["서구"])
    assert not may_act(None, Role.COORDINATOR, daejeon["서구"])
    user = make_member(daejeon["서구"], Role.COORDINATOR)
    user.is_active = False
    user.save()
    assert not may_act(user, Role.COORDINATOR, daejeon["서구"])


def test_regions_for_covers_the_subtree_of_each_post(daejeon, make_member):
    user = make_member(daejeon["관저2동"], Role.CASE_MANAGER)
    RegionMembership.objects.create(user=user, region=daejeon["대덕구"], role=Role.CASE_MANAGER)
    covered = set(regions_for(user, Role.CASE_MANAGER).values_list("name_ko", flat=True))
    daedeok_dongs = set(daejeon["대덕구"].children.values_list("name_ko", flat=True))
    assert covered == {"관저2동", "대덕구"} | daedeok_dongs


def test_reassigning_a_post_keeps_the_history(daejeon, make_member):
    old = make_member(
        daejeon["서구"], Role.COORDINATOR, starts_on=TODAY - datetime.timedelta(days=90)
    )
    new = make_member(daejeon["대덕구"], Role.CASE_MANAGER)
    membership = old.region_memberships.get()

    membership_reassign(membership=membership, to_user=new, on=TODAY)

    assert not may_act(old, Role.COORDINATOR, daejeon["서구"])
    assert may_act(old, Role.COORDINATOR, daejeon["서구"], on=YESTERDAY)
    assert may_act(new, Role.COORDINATOR, daejeon["서구"])
    history = RegionMembership.objects.filter(region=daejeon["서구"], role=Role.COORDINATOR)
    assert [(m.user, m.ends_on) for m in history.order_by("starts_on")] == [
        (old, YESTERDAY),
        (new, None),
    ]


def test_membership_cannot_end_twice_or_before_it_starts(daejeon, make_member):
    user = make_member(daejeon["서구"], Role.COORDINATOR, starts_on=TODAY)
    membership = user.region_memberships.get()
    with pytest.raises(MembershipError):
        membership_end(membership=membership, ends_on=YESTERDAY)
    membership_end(membership=membership, ends_on=TODAY)
    with pytest.raises(MembershipError):
        membership_end(membership=membership)


def test_granting_an_open_post_twice_returns_the_same_membership(daejeon, make_member):
    user = make_member(daejeon["서구"], Role.COORDINATOR)
    first = user.region_memberships.get()
    again = membership_grant(user=user, region=daejeon["서구"], role=Role.COORDINATOR)
    assert again == first


def test_the_database_refuses_a_membership_that_ends_before_it_starts(daejeon, make_member):
    from django.db import IntegrityError, transaction

    user = make_member(daejeon["서구"], Role.COORDINATOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        RegionMembership.objects.create(
            user=user,
            region=daejeon["서구"],
            role=Role.CASE_MANAGER,
            starts_on=TODAY,
            ends_on=YESTERDAY,
        )


def test_finance_is_a_group(db, django_user_model):
    from django.contrib.auth.models import Group

    assert Group.objects.filter(name="finance").exists(), "created by a migration"
    user = django_user_model.objects.create_user(username="f", password="pw-for-tests-only")
    assert not is_finance(user)
    user.groups.add(finance_group())
    assert is_finance(user)
    assert not is_finance(AnonymousUser())


def test_holds_role_says_what_regions_for_exists_says(daejeon, make_member):
    current = make_member(daejeon["관저2동"], Role.CASE_MANAGER)
    ended = make_member(
        daejeon["서구"],
        Role.CASE_MANAGER,
        starts_on=TODAY - datetime.timedelta(days=30),
        ends_on=YESTERDAY,
    )
    future = make_member(daejeon["서구"], Role.CASE_MANAGER, starts_on=TOMORROW)
    coordinator = make_member(daejeon["서구"], Role.COORDINATOR)
    for user in (current, ended, future, coordinator, AnonymousUser(), None):
        for role in (Role.CASE_MANAGER, Role.COORDINATOR):
            expected = regions_for(user, role).exists()
            assert holds_role(user, role) == expected, (user, role)
            if user is not None:
                with posts_read_once(user):
                    assert holds_role(user, role) == expected, (user, role)
    assert holds_role(current, Role.CASE_MANAGER) and not holds_role(ended, Role.CASE_MANAGER)


def test_holds_role_is_one_query_and_none_on_posts_read_once(
    daejeon, make_member, django_assert_num_queries
):
    user = make_member(daejeon["서구"], Role.CASE_MANAGER)
    with django_assert_num_queries(1):
        assert holds_role(user, Role.CASE_MANAGER)
    with posts_read_once(user), django_assert_num_queries(0):
        assert holds_role(user, Role.CASE_MANAGER)
        assert not holds_role(user, Role.COORDINATOR)


def test_posts_read_once_on_one_user_object_in_two_threads_at_once(daejeon, make_member):
    """A test client's forced user is one object for every thread: two blocks
    may both find no posts read and read them, and the first to end removes
    them; the second then ends without an error, and the user answers with
    queries again."""
    user = make_member(daejeon["서구"], Role.CASE_MANAGER)
    first, second = posts_read_once(user), posts_read_once(user)
    first.__enter__()
    del user._known_posts  # the second thread looked before the first had read
    second.__enter__()
    first.__exit__(None, None, None)
    second.__exit__(None, None, None)
    assert not hasattr(user, "_known_posts")
    assert may_act(user, Role.CASE_MANAGER, daejeon["관저2동"])
