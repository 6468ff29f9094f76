"""Defects the API fuzz found, each pinned by the request that showed it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/claims/1%0A/fulfil/",
        "/api/v1/claims/G%0A4/",
        "/api/v1/no-such-thing%0Aat-all/",
    ],
)
def test_an_api_path_with_a_line_break_answers_the_json_404(db, path):
    response = APIClient().post(path, {}, format="json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
