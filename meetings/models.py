"""Multi-agency meetings about a family, and the actions agreed at them: promises that can be
counted ("2 of 30 done"), each with an owner and a date, chased until done or dropped."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class Meeting(models.Model):
    class Kind(models.TextChoices):
        STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion"
        CHILD_IN_NEED = "child_in_need", "Child in need meeting"
        INITIAL_CONFERENCE = "initial_conference", "Initial child protection conference"
        REVIEW_CONFERENCE = "review_conference", "Review child protection conference"
        CORE_GROUP = "core_group", "Core group meeting"
        MACE = "mace", "Multi-agency child exploitation (MACE) meeting"
        PROFESSIONALS = "professionals", "Professionals' meeting"
        OTHER = "other", "Other meeting"

    class MinutesAccurate(models.TextChoices):
        NOT_ASKED = "", "Not asked yet"
        YES = "yes", "Yes"
        PARTLY = "partly", "Partly"
        NO = "no", "No"

    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="meetings")
    children = models.ManyToManyField("families.Person", related_name="meetings", blank=True)
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="meetings",
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    held_at = models.DateTimeField("when")
    agencies = models.ManyToManyField("agencies.Agency", related_name="meetings", blank=True)
    professionals = models.ManyToManyField("agencies.Professional", related_name="meetings", blank=True)
    others_present = models.CharField("others present", max_length=500, blank=True)
    parent_invited = models.BooleanField("the parent was invited", default=False)
    parent_attended = models.BooleanField("the parent attended", default=False)
    parent_received_minutes = models.BooleanField("the parent received the minutes", default=False)
    minutes_accurate = models.CharField(
        "the parent says the minutes are accurate", max_length=10, choices=MinutesAccurate.choices, blank=True
    )
    parent_correction = models.TextField("the parent's correction, in their words", max_length=4000, blank=True)
    notes = models.TextField(max_length=4000, blank=True)
    # The referral milestone this meeting was, recorded through the referral's one write path.
    milestone_record = models.OneToOneField(
        "referrals.MilestoneRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="meeting",
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-held_at", "-pk"]
        indexes = [models.Index(fields=["family", "-held_at"], name="meeting_by_family")]

    def __str__(self):
        return f"{self.get_kind_display()}, {timezone.localtime(self.held_at):%d/%m/%Y}"

    def get_absolute_url(self):
        return reverse("meetings:detail", args=[self.family_id, self.pk])

    def get_additional_data(self):
        return {"family_id": self.family_id}


class MeetingAction(models.Model):
    """An action agreed at a meeting. One with a date is a deadline (deadlines.kinds
    "meeting:action") until it is done or dropped."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="actions")
    description = models.CharField("what was agreed", max_length=500)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    agency_name = models.CharField("agency", max_length=200, blank=True, help_text="When it is not in the list.")
    professional = models.ForeignKey(
        "agencies.Professional", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    owner_name = models.CharField("who will do it", max_length=200, blank=True)
    due_on = models.DateField("by when", null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    done_on = models.DateField(null=True, blank=True)
    dropped_on = models.DateField(null=True, blank=True)
    dropped_reason = models.CharField("why it was dropped", max_length=500, blank=True)
    evidence = models.CharField(max_length=500, blank=True, help_text="What shows it was done.")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [
            # Accountability figures: actions per agency over a period.
            models.Index(fields=["agency", "created_at"], name="action_by_agency"),
            models.Index(fields=["due_on"], condition=Q(status="open"), name="action_open_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="dropped") | ~Q(dropped_reason=""), name="dropped_action_has_a_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_on__isnull=False), name="done_action_has_a_date"
            ),
        ]

    def __str__(self):
        return self.description

    def get_additional_data(self):
        return {"family_id": self.meeting.family_id}

    @property
    def agency_label(self):
        return self.agency.name if self.agency_id else self.agency_name


class ActionChase(models.Model):
    """Each time someone chased an action: the record that a promise was followed up."""

    action = models.ForeignKey(MeetingAction, on_delete=models.CASCADE, related_name="chases")
    chased_on = models.DateField(default=timezone.localdate)
    how = models.CharField(max_length=300, blank=True, help_text="For example “Rang the school office”.")
    chased_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["chased_on", "pk"]

    def __str__(self):
        return f"Chased {self.chased_on:%d/%m/%Y}"

    def get_additional_data(self):
        return {"family_id": self.action.meeting.family_id}
