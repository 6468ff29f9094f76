"""Text search gives exactly what icontains gives, whatever the word's length
(marketplace/search.py adds the bigram pre-filter to two-character words on
PostgreSQL; on SQLite the search is icontains alone)."""

import pytest
from django.db.models import Q
from rest_framework.test import APIClient

from marketplace.models import Listing, ListingState
from marketplace.selectors import catalogue

TEXTS = [
    ("생활 지원 물품", "쌀과 라면"),
    ("지 원", "떨어진 글자: 지 원"),  # both syllables, never side by side
    ("원지 상자", "거꾸로"),
    ("도시락 배달", "주 3회 지원"),
    ("Winter COAT", "warm coat for adults"),
    ("보행기", "노인 보행 지원 기구"),
    ("밑반찬", ""),
]
WORDS = ["지", "원", "지원", "원지", "coat", "CO", "oa", "도시락", "보행", "행지", "없음", "지원 "]


@pytest.fixture
def listings(make_listing):
    made = []
    for title, description in TEXTS:
        listing = make_listing(description=description)
        Listing.objects.filter(pk=listing.pk).update(title=title)
        made.append(listing.pk)
    return made


def _icontains(word: str, states) -> set[int]:
    return set(
        Listing.objects.filter(state__in=states)
        .filter(Q(title__icontains=word) | Q(description__icontains=word))
        .values_list("pk", flat=True)
    )


@pytest.mark.parametrize("word", WORDS)
def test_the_catalogue_search_equals_icontains(listings, word):
    found = set(catalogue(text=word).values_list("pk", flat=True))
    assert found == _icontains(word, [ListingState.PUBLISHED])


@pytest.mark.parametrize("word", ["지원", "원지", "CO", "도시락", "지"])
def test_the_api_search_equals_icontains(listings, word):
    response = APIClient().get("/api/v1/listings/", {"search": word, "page_size": 100})
    found = {row["id"] for row in response.json()["results"]}
    assert found == _icontains(word, [ListingState.PUBLISHED])


def test_two_syllables_apart_do_not_match(listings):
    titles = set(catalogue(text="지원").values_list("title", flat=True))
    assert "생활 지원 물품" in titles
    assert "지 원" not in titles
    assert "원지 상자" not in titles
