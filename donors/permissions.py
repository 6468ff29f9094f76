"""Who represents which donor."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from donors.models import Donor


def donors_represented(user) -> QuerySet[Donor]:
    """Donors the user currently represents (a DonorMembership without an end in the past)."""
    if not (user and user.is_authenticated and user.is_active):
        return Donor.objects.none()
    today = timezone.localdate()
    return Donor.objects.filter(
        Q(memberships__ends_on__isnull=True) | Q(memberships__ends_on__gte=today),
        memberships__user=user,
    ).distinct()


def represents(user, donor: Donor) -> bool:
    return donors_represented(user).filter(pk=donor.pk).exists()
