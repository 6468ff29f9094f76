"""Korean particles chosen by the last sound, digits read as Korean numbers."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from config.korean import business_number, josa, particles


@pytest.mark.parametrize(
    ("word", "pair", "expected"),
    [
        ("상자", "을/를", "상자를"),
        ("4상자", "을/를", "4상자를"),
        ("가구 3017A", "을/를", "가구 3017A를"),
        ("이불", "을/를", "이불을"),
        ("약정 #3", "이/가", "약정 #3이"),
        ("약정 #2", "이/가", "약정 #2가"),
        ("약정 #1", "이/가", "약정 #1이"),
        ("#4", "을/를", "#4를"),
        ("#6", "을/를", "#6을"),
        ("#10", "을/를", "#10을"),
        ("#9", "을/를", "#9를"),
        ("#0", "은/는", "#0은"),
        ("1,000", "은/는", "1,000은"),
        ("“밑반찬 세트”", "을/를", "“밑반찬 세트”를"),
        ("“겨울 이불”", "을/를", "“겨울 이불”을"),
        ("서울", "으로/로", "서울로"),
        ("부산", "으로/로", "부산으로"),
        ("대전", "과/와", "대전과"),
        ("세종", "과/와", "세종과"),
        ("서구", "과/와", "서구와"),
        ("HTML", "을/를", "HTML을"),
        ("API", "을/를", "API를"),
        ("", "을/를", "을(를)"),
    ],
)
def test_josa(word, pair, expected):
    assert josa(word, pair) == expected


def test_particles_in_a_finished_message():
    assert particles("약정 #3이(가) 서구의 신청 4상자을(를) 받았습니다.") == (
        "약정 #3이 서구의 신청 4상자를 받았습니다."
    )
    assert particles("“밑반찬 세트”을(를) 게시했습니다.") == "“밑반찬 세트”를 게시했습니다."
    assert particles("제안 #7을(를) 승인했습니다. 거래 #12이(가) 기록되었습니다.") == (
        "제안 #7을 승인했습니다. 거래 #12가 기록되었습니다."
    )
    # Nothing to go by: the pair stays.
    assert particles("*을(를)") == "*을(를)"
    assert particles("no pairs here") == "no pairs here"


def test_template_filters():
    rendered = Template(
        '{% load korean %}{{ word|josa:"을/를" }} {{ text|particles }} {{ brn|business_number }}'
    ).render(Context({"word": "4상자", "text": "#3이(가)", "brn": "3148212342"}))
    assert rendered == "4상자를 #3이 314-82-12342"


def test_business_number():
    assert business_number("3148212342") == "314-82-12342"
    assert business_number("123") == "123"
