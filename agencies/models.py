"""Agencies (children's social care teams, police units, schools, health, youth justice, the
voluntary sector) and the professionals in them."""

import re
import unicodedata

from django.db import models
from django.db.models import Q
from django.utils import timezone


def name_key(name: str) -> str:
    """A person's name reduced for spotting the same person written twice: lower case, accents and
    punctuation dropped, titles removed ("Ms J. O'Neill" and "j oneill" give "j oneill")."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z\s]", "", text)
    words = [word for word in text.split() if word not in {"mr", "mrs", "ms", "miss", "mx", "dr", "pc", "ds", "di"}]
    return " ".join(words)


class Agency(models.Model):
    class Kind(models.TextChoices):
        CSC = "csc", "Children's social care"
        POLICE = "police", "Police"
        SCHOOL = "school", "School or college"
        HEALTH = "health", "Health"
        YOUTH_JUSTICE = "youth_justice", "Youth justice"
        VOLUNTARY = "voluntary", "Voluntary sector"
        CHARITY = "charity", "Our charity"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Empty for an agency that works everywhere (a national helpline, the charity itself).
    local_authority = models.ForeignKey(
        "families.LocalAuthority", on_delete=models.PROTECT, null=True, blank=True, related_name="agencies"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["local_authority", "name"], name="one_agency_name_per_authority"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(local_authority__isnull=True), name="one_national_agency_name"
            ),
        ]

    def __str__(self):
        return self.name


class Professional(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="professionals")
    full_name = models.CharField("name", max_length=120)
    role = models.CharField(max_length=120, blank=True, help_text="For example “Team manager” or “PC”.")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # Normalised name (agencies.models.name_key): the same person recorded twice is suggested.
    name_key = models.CharField(max_length=120, editable=False, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["full_name", "pk"]

    def __str__(self):
        return f"{self.full_name} ({self.agency})"

    def save(self, *args, **kwargs):
        self.name_key = name_key(self.full_name)
        super().save(*args, **kwargs)
