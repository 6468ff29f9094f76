import pytest

from regions.models import Level, Region
from regions.selectors import (
    exchange_region,
    region_ancestors,
    region_descendants,
    same_exchange_region,
)


def test_exchange_region_of_a_dong_is_its_district(daejeon):
    assert exchange_region(daejeon["관저2동"]) == daejeon["서구"]


def test_exchange_region_of_a_district_is_itself(daejeon):
    assert exchange_region(daejeon["서구"]) == daejeon["서구"]


def test_city_has_no_exchange_region_at_district_level(daejeon):
    assert exchange_region(daejeon["대전광역시"]) is None


def test_exchange_level_follows_the_setting(daejeon, settings):
    settings.EXCHANGE_LEVEL = "city"
    assert exchange_region(daejeon["관저2동"]) == daejeon["대전광역시"]
    settings.EXCHANGE_LEVEL = "dong"
    assert exchange_region(daejeon["관저2동"]) == daejeon["관저2동"]
    assert exchange_region(daejeon["서구"]) is None


def test_zone_level_uses_the_zone_or_falls_back_to_the_district(daejeon, settings):
    seo = daejeon["서구"]
    zone = Region.objects.create(
        code="3017100000", parent=seo, level=Level.ZONE, name_ko="서남권", name_en="Southwest"
    )
    in_zone = daejeon["관저2동"]
    in_zone.parent = zone
    in_zone.save()
    settings.EXCHANGE_LEVEL = "zone"

    assert exchange_region(in_zone) == zone
    assert exchange_region(daejeon["관저1동"]) == seo


def test_same_exchange_region_marks_a_local_handover(daejeon):
    assert same_exchange_region(daejeon["관저1동"], daejeon["관저2동"])
    assert same_exchange_region(daejeon["서구"], daejeon["관저2동"])
    assert not same_exchange_region(daejeon["관저2동"], daejeon["대덕구"])
    assert not same_exchange_region(daejeon["대전광역시"], daejeon["대전광역시"])


def test_ancestors_and_descendants(daejeon, django_assert_num_queries):
    with django_assert_num_queries(1):
        chain = region_ancestors(daejeon["관저2동"])
    assert [r.name_ko for r in chain] == ["대전광역시", "서구", "관저2동"]
    seo_all = region_descendants(daejeon["서구"])
    assert seo_all.count() == 1 + Region.objects.filter(parent=daejeon["서구"]).count()
    assert daejeon["대덕구"] not in seo_all


@pytest.mark.parametrize("name", ["관저2동", "서구", "대전광역시"])
def test_is_within_matches_the_tree(daejeon, name):
    assert daejeon["관저2동"].is_within(daejeon[name])
    assert not daejeon["대덕구"].is_within(daejeon["관저2동"])


def test_an_exchange_region_found_knows_its_ancestors(daejeon, django_assert_num_queries):
    """The exchange region of a dong is asked about again (its wallet checks it
    is one): answered from the first read."""
    dong = Region.objects.get(pk=daejeon["관저2동"].pk)
    with django_assert_num_queries(1):
        district = exchange_region(dong)
        assert exchange_region(district) == district
        assert region_ancestors(district) == [daejeon["대전광역시"], daejeon["서구"]]
    assert district == daejeon["서구"]


def test_a_region_moved_since_is_read_again(daejeon, django_assert_num_queries):
    district = exchange_region(Region.objects.get(pk=daejeon["관저2동"].pk))
    district.path = daejeon["대덕구"].path  # as if read again after a move
    with django_assert_num_queries(1):
        assert region_ancestors(district) == [daejeon["대전광역시"], daejeon["대덕구"]]
