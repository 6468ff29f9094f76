"""Design overview: the region tree.

The regions app owns the administrative tree city (광역시) → district (자치구)
→ optional zone (권역) → dong (행정동). Each region has the official 10-digit
administrative code, a Korean and an English name and its level.

Invariants:
- `code` is ten digits and unique; it is the natural key used by loaders and
  the API.
- A parent is always of a higher level than its child; only the city has no
  parent.
- `path` is the chain of codes from the root to the region ("3000000000/
  3017000000/3017059700/"), kept in step with `parent` by `save()`. Ancestors
  are read from it in one query and descendants with one prefix match, which
  is what the permission checks need ("a membership on an ancestor counts").
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    ZONE = "zone", _("Zone")
    DONG = "dong", _("Dong")


#: Depth of each level in the tree; a parent's rank is always smaller.
LEVEL_RANK = {Level.CITY: 0, Level.DISTRICT: 1, Level.ZONE: 2, Level.DONG: 3}

code_validator = RegexValidator(r"^\d{10}$", _("An administrative code is exactly ten digits."))


class Region(models.Model):
    code = models.CharField(
        _("administrative code"), max_length=10, unique=True, validators=[code_validator]
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        on_delete=models.PROTECT,
        related_name="children",
        null=True,
        blank=True,
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    name_ko = models.CharField(_("Korean name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    path = models.CharField(max_length=255, editable=False, db_index=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=Level.values), name="region_level_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True, level=Level.CITY)
                | models.Q(parent__isnull=False) & ~models.Q(level=Level.CITY),
                name="region_only_city_is_root",
            ),
        ]

    def __str__(self) -> str:
        return self.name_ko

    def save(self, *args, **kwargs) -> None:
        self.path = self.compute_path()
        super().save(*args, **kwargs)

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id else ""
        return f"{prefix}{self.code}/"

    @property
    def name(self) -> str:
        """The name in the active language (Korean unless English is chosen)."""
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "ko").startswith("en") else self.name_ko

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to and including this region."""
        return [code for code in self.path.split("/") if code]

    def is_within(self, other: Region) -> bool:
        """True when this region is `other` or lies below it."""
        return self.path.startswith(other.path)
