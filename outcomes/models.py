"""A parent's own ratings of how things are for them, asked at first contact and again at
intervals (outcomes.measures has the questions and the scale)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from families.models import Contact, Family, Person
from outcomes.measures import MEASURE_FIELDS, QUESTIONS_VERSION, SCALE


def _score(verbose_name: str):
    return models.PositiveSmallIntegerField(
        verbose_name, null=True, blank=True,
        validators=[MinValueValidator(SCALE[0]), MaxValueValidator(SCALE[-1])],
        help_text="Empty when the question was not asked or the parent chose not to answer.",
    )


class CheckIn(models.Model):
    """One occasion a parent rated the measures: at first contact, at a later check-in, or at
    closure. A measure left empty was not asked, or not answered: never a zero."""

    class Occasion(models.TextChoices):
        FIRST = "first", "At first contact"
        REVIEW = "review", "A later check-in"
        CLOSURE = "closure", "As support ends"

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="outcome_check_ins")
    parent = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="outcome_check_ins")
    # The call it was asked in, when it was.
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    occasion = models.CharField(max_length=10, choices=Occasion.choices)
    asked_on = models.DateField("asked on")
    confidence = _score("confidence to keep their child safe")
    understanding = _score("understanding of exploitation")
    wellbeing = _score("wellbeing")
    csc_support = _score("support from children's social care")
    questions_version = models.PositiveSmallIntegerField(default=QUESTIONS_VERSION, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["asked_on", "pk"]
        constraints = [
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"check_in_{name}_on_the_scale",
                )
                for name in MEASURE_FIELDS
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=False) | Q(understanding__isnull=False) | Q(wellbeing__isnull=False)
                | Q(csc_support__isnull=False),
                name="check_in_has_an_answer",
            ),
            # The baseline the outcomes figures compare with: one per parent (outcomes.services).
            models.UniqueConstraint(
                fields=["parent"], condition=Q(occasion="first"), name="check_in_one_first_per_parent",
            ),
        ]
        indexes = [
            # The report: each parent's check-ins in order.
            models.Index(fields=["parent", "asked_on"], name="check_in_parent_asked"),
            models.Index(fields=["family", "asked_on"], name="check_in_family_asked"),
        ]

    def __str__(self):
        return f"Check-in {self.pk}"

    def get_absolute_url(self):
        return reverse("outcomes:check_in_edit", args=[self.family_id, self.pk])

    def get_additional_data(self):
        return {"family_id": self.family_id}

    def scores(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in MEASURE_FIELDS}
