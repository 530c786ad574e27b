"""Relational safety plans kept with parents, the intelligence they gather, and the times a child
goes missing.

A safety plan is written with the parent (and, where possible, the child): parents are partners
in keeping their child safe. Its words follow that: worries are "what we are worried about",
never what a parent has failed to do.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

# ----------------------------------------------------------------------------- safety plans


class SafetyPlan(models.Model):
    """The current plan for one child. Its parts are the rows below; every save writes a
    PlanVersion with a copy of the whole plan, so history never changes."""

    child = models.OneToOneField("families.Person", on_delete=models.PROTECT, related_name="safety_plan")
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="safety_plans")
    what_is_working_well = models.TextField(
        "what is working well", max_length=4000, blank=True,
        help_text="Safety that is already there: strengths, and what the family already does.",
    )
    protective_people_and_places = models.TextField(max_length=4000, blank=True)
    peer_groups = models.TextField("peer groups", max_length=2000, blank=True)
    places_and_times = models.TextField("places and times", max_length=2000, blank=True)
    online_platforms = models.TextField("online platforms", max_length=2000, blank=True)
    school = models.TextField(max_length=2000, blank=True)
    warning_signs = models.TextField("warning signs", max_length=4000, blank=True)
    parent_words = models.TextField("in the parent's own words", max_length=4000, blank=True)
    child_words = models.TextField("in the child's own words", max_length=4000, blank=True)
    emergency_contacts = models.TextField(max_length=2000, blank=True)
    police_references = models.CharField("police reference numbers", max_length=300, blank=True)
    review_on = models.DateField("review date", null=True, blank=True)
    agreed_by = models.CharField("agreed by", max_length=300, blank=True,
                                 help_text="Who agreed this plan, for example “Joanne (mum), Tyler, Sam (PLO)”.")
    agreed_on = models.DateField("agreed on", null=True, blank=True)
    # Internal to the team: never in the family's copy.
    internal_notes = models.TextField("notes for the team only", max_length=4000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The number of the latest PlanVersion; a save must name the version it started from.
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        indexes = [
            # The PLO's home: plans of their teams' families due for review.
            models.Index(fields=["review_on"], condition=Q(review_on__isnull=False), name="plan_review_due"),
        ]

    def __str__(self):
        return f"Safety plan for {self.child}"

    def get_absolute_url(self):
        return reverse("safety_plans:plan", args=[self.family_id, self.child_id])

    def get_additional_data(self):
        return {"family_id": self.family_id}


class PlanItem(models.Model):
    """A row of one of the plan's lists, kept in order."""

    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    def get_additional_data(self):
        return {"family_id": self.plan.family_id}


class Worry(PlanItem):
    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="worries")
    who_is_worried = models.CharField("who is worried", max_length=200)
    worry = models.TextField("what we are worried about", max_length=2000)
    what_could_happen = models.TextField("what could happen if nothing changes", max_length=2000, blank=True)
    safety_goal = models.TextField("the safety goal", max_length=2000, blank=True)

    class Meta(PlanItem.Meta):
        verbose_name_plural = "worries"

    def __str__(self):
        return self.worry[:60]


class PersonOfConcern(PlanItem):
    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="people_of_concern")
    name_or_description = models.CharField("name or description", max_length=300)
    vehicles = models.CharField(max_length=300, blank=True)
    phone_numbers = models.CharField("phone numbers", max_length=300, blank=True)
    online_handles = models.CharField("online handles", max_length=300, blank=True)
    notes = models.TextField(max_length=2000, blank=True)

    class Meta(PlanItem.Meta):
        verbose_name_plural = "people of concern"

    def __str__(self):
        return self.name_or_description


class PlanStep(PlanItem):
    """"If this happens, then we do that"."""

    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="steps")
    if_this_happens = models.CharField("if this happens", max_length=500)
    then_we_do = models.TextField("then we do this", max_length=2000)
    when_missing = models.BooleanField("if the child goes missing", default=False)

    def __str__(self):
        return self.if_this_happens


class Commitment(PlanItem):
    """What one person or agency in the safety network commits to. One with a due date is a
    deadline (deadlines.kinds "plan:commitment") until it is done or dropped."""

    class Status(models.TextChoices):
        OPEN = "open", "To do"
        DONE = "done", "Done"
        DROPPED = "dropped", "No longer needed"

    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="commitments")
    who = models.CharField("person or agency", max_length=200, help_text="For example “Mum”, “Tyler”, “School”, "
                                                                         "“Police”, “Children's social care”.")
    commitment = models.TextField("what they commit to", max_length=2000)
    owner = models.CharField("who makes sure it happens", max_length=200, blank=True)
    # The agency in the directory, where it is in it; "who" is kept as written.
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    due_on = models.DateField("by when", null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    def __str__(self):
        return f"{self.who}: {self.commitment[:50]}"


class SafetyRating(models.Model):
    """A 0–10 rating of how safe the child is now, by one party. Kept over time: a history, not a
    part of the plan's text, so a new rating is added rather than an old one changed."""

    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="ratings")
    rated_by = models.CharField("rated by", max_length=120, help_text="For example “Mum”, “Tyler”, “PLO”, “School”.")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(10)])
    rated_on = models.DateField("rated on", default=timezone.localdate)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["rated_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(score__lte=10), name="safety_rating_0_to_10")]

    def __str__(self):
        return f"{self.rated_by}: {self.score}/10"

    def get_additional_data(self):
        return {"family_id": self.plan.family_id}


class PlanVersion(models.Model):
    """An immutable copy of the whole plan as saved: who, when, what changed, and the content."""

    plan = models.ForeignKey(SafetyPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    what_changed = models.CharField("what changed", max_length=300)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField(default=timezone.now)
    restored_from = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_plan_version_number")]

    def __str__(self):
        return f"Version {self.number}"

    def get_additional_data(self):
        return {"family_id": self.plan.family_id}


# ----------------------------------------------------------------------------- intelligence


class IntelligenceEntry(models.Model):
    """Something a parent saw or found out about the people exploiting their child, and what the
    police were told. Registrations, phone numbers and handles are also stored normalised, so the
    same one written two ways, in two families' logs, is found by an index."""

    class Kind(models.TextChoices):
        PERSON = "person", "A person"
        VEHICLE = "vehicle", "A vehicle"
        PHONE = "phone", "A phone number"
        HANDLE = "handle", "An online account"
        PLACE = "place", "A place"
        OTHER = "other", "Something else"

    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="intelligence")
    child = models.ForeignKey("families.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    observed_at = models.DateTimeField("when it was seen")
    description = models.TextField("what was seen or found", max_length=4000)
    registration = models.CharField("vehicle registration", max_length=20, blank=True)
    phone = models.CharField("phone number", max_length=40, blank=True)
    platform = models.CharField("platform", max_length=40, blank=True)
    handle = models.CharField("online handle", max_length=120, blank=True)
    place = models.CharField(max_length=300, blank=True)
    source = models.CharField("where it came from", max_length=300)
    passed_to_police_on = models.DateField("passed to the police on", null=True, blank=True)
    police_officer_or_unit = models.CharField("officer or unit", max_length=200, blank=True)
    police_reference = models.CharField("police reference", max_length=60, blank=True)
    outcome = models.TextField("what came of it", max_length=2000, blank=True)
    # Normalised copies for matching across families (see safety_plans.intelligence).
    registration_key = models.CharField(max_length=20, blank=True, editable=False)
    phone_key = models.CharField(max_length=20, blank=True, editable=False)
    handle_key = models.CharField(max_length=170, blank=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-observed_at", "-pk"]
        verbose_name_plural = "intelligence entries"
        indexes = [
            models.Index(fields=["registration_key"], condition=~Q(registration_key=""), name="intel_registration"),
            models.Index(fields=["phone_key"], condition=~Q(phone_key=""), name="intel_phone"),
            models.Index(fields=["handle_key"], condition=~Q(handle_key=""), name="intel_handle"),
            # The PLO's home: what has not been passed to the police yet.
            models.Index(fields=["family"], condition=Q(passed_to_police_on__isnull=True), name="intel_not_passed"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} seen {self.observed_at:%d/%m/%Y}"

    def get_additional_data(self):
        return {"family_id": self.family_id}


# ----------------------------------------------------------------------------- missing episodes


class MissingEpisode(models.Model):
    """A time the child went missing. After their return a return home interview is due within 72
    hours (statutory guidance on children who run away or go missing from home or care, 2014): a
    deadline of kind "missing:return_home_interview", in elapsed hours."""

    child = models.ForeignKey("families.Person", on_delete=models.PROTECT, related_name="missing_episodes")
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="missing_episodes")
    went_missing_at = models.DateTimeField("went missing")
    reported_to_police_at = models.DateTimeField("reported to the police", null=True, blank=True)
    police_reference = models.CharField("police reference", max_length=60, blank=True)
    returned_at = models.DateTimeField("came back", null=True, blank=True)
    where_found = models.CharField("where they were found", max_length=300, blank=True)
    interview_offered_at = models.DateTimeField("return home interview offered", null=True, blank=True)
    interview_done_at = models.DateTimeField("return home interview done", null=True, blank=True)
    interview_by = models.CharField("interview done by", max_length=200, blank=True)
    notes = models.TextField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-went_missing_at", "-pk"]
        indexes = [
            # The family page and the PLO's home: children missing now.
            models.Index(fields=["family"], condition=Q(returned_at__isnull=True), name="missing_now"),
            models.Index(fields=["child", "-went_missing_at"], name="missing_by_child"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(returned_at__isnull=True) | Q(returned_at__gte=models.F("went_missing_at")),
                name="returned_after_going_missing",
            ),
            # A child is missing once at a time: their return is recorded before they go missing again.
            models.UniqueConstraint(
                fields=["child"], condition=Q(returned_at__isnull=True), name="missing_once_at_a_time"
            ),
        ]

    def __str__(self):
        return f"Missing from {self.went_missing_at:%d/%m/%Y %H:%M}"

    def get_additional_data(self):
        return {"family_id": self.family_id}

    @property
    def is_missing_now(self):
        return self.returned_at is None
