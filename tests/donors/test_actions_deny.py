"""A service's refusal (NotAllowed) of a donor action is the bare 403 page: the
donor's portal is not rendered with it, and nothing changes."""

from __future__ import annotations

from unittest import mock

import pytest

from config.exceptions import NotAllowed
from donors.models import Pledge

HTMX = {"HX-Request": "true"}


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["form", "htmx"])
def test_a_refused_pledge_withdrawal_shows_nothing(client, donor, donor_rep, make_pledge, headers):
    pledge = make_pledge()
    client.force_login(donor_rep)
    with mock.patch("exchange.donor_views.pledge_withdraw", side_effect=NotAllowed()):
        response = client.post(
            f"/donors/pledges/{pledge.pk}/withdraw/", {"reason": "x"}, headers=headers
        )
    assert response.status_code == 403
    body = response.content.decode()
    assert donor.name not in body and "124-81-00998" not in body
    assert f'data-pledge="{pledge.pk}"' not in body and 'id="pledges"' not in body
    assert Pledge.objects.get(pk=pledge.pk).state == pledge.state


def test_a_refused_pledge_confirmation_shows_nothing(client, donor, finance, make_pledge):
    pledge = make_pledge(confirm=False)
    client.force_login(finance)
    with mock.patch("exchange.donor_views.pledge_confirm", side_effect=NotAllowed()):
        response = client.post(f"/finance/matching/pledges/{pledge.pk}/confirm/", headers=HTMX)
    assert response.status_code == 403
    assert donor.name not in response.content.decode()
    assert Pledge.objects.get(pk=pledge.pk).state == pledge.state
