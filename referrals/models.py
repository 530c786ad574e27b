"""Referrals to children's social care (CSC), their dated milestones, and the rules that
say how long CSC has for each step."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.working_days import Allowance


class Milestone(models.TextChoices):
    CONCERN_RAISED = "concern_raised", "Concern first raised"
    REFERRAL_MADE = "referral_made", "Referral made"
    ACKNOWLEDGED = "acknowledged", "Referral acknowledged"
    DECISION = "decision", "Decision on the referral"
    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion"
    ASSESSMENT_STARTED = "assessment_started", "Assessment started"
    ASSESSMENT_COMPLETED = "assessment_completed", "Assessment completed"
    INITIAL_CONFERENCE = "initial_conference", "Initial child protection conference"
    FIRST_CORE_GROUP = "first_core_group", "First core group meeting"
    REVIEW_CONFERENCE = "review_conference", "Review child protection conference"
    CLOSED = "closed", "Closed by children's social care"


# Milestones that can happen more than once on one referral.
REPEATABLE_MILESTONES = {Milestone.REVIEW_CONFERENCE}


class Referral(models.Model):
    class ReferredBy(models.TextChoices):
        PARENT = "parent", "Parent or carer"
        CHARITY = "charity", "Our charity"
        POLICE = "police", "Police"
        SCHOOL = "school", "School or college"
        HEALTH = "health", "Health"
        OTHER = "other", "Other"

    class Decision(models.TextChoices):
        NO_FURTHER_ACTION = "nfa", "No further action"
        EARLY_HELP = "early_help", "Early help"
        CHILD_IN_NEED = "child_in_need", "Child in need (section 17)"
        CHILD_PROTECTION = "child_protection", "Child protection enquiry (section 47)"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class NrmStatus(models.TextChoices):
        NOT_APPLICABLE = "", "Not applicable"
        REFERRED = "referred", "Referred to the National Referral Mechanism"
        REASONABLE_GROUNDS = "reasonable_grounds", "Positive reasonable grounds decision"
        CONCLUSIVE_GROUNDS = "conclusive_grounds", "Positive conclusive grounds decision"
        NEGATIVE = "negative", "Negative decision"

    class ChannelStatus(models.TextChoices):
        NOT_APPLICABLE = "", "Not applicable"
        REFERRED = "referred", "Referred to Channel"
        ADOPTED = "adopted", "Adopted as a Channel case"
        NOT_ADOPTED = "not_adopted", "Not adopted"
        CLOSED = "closed", "Channel support ended"

    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="referrals")
    children = models.ManyToManyField("families.Person", related_name="referrals")
    local_authority = models.ForeignKey("families.LocalAuthority", on_delete=models.PROTECT, related_name="referrals")
    referred_by = models.CharField(max_length=20, choices=ReferredBy.choices)
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    previous_referral = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="re_referrals",
        help_text="For a re-referral: the earlier referral about the same concerns.",
    )
    summary = models.TextField("what the referral is about", max_length=4000, blank=True)
    csc_reference = models.CharField("children's social care reference", max_length=60, blank=True)
    nrm_status = models.CharField(
        "National Referral Mechanism", max_length=30, choices=NrmStatus.choices, blank=True
    )
    channel_status = models.CharField("Channel", max_length=30, choices=ChannelStatus.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # The earliest open deadline, kept up to date by referrals.services in the same transaction.
    next_milestone = models.CharField(max_length=30, choices=Milestone.choices, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Lists sorted by what is due next look only at open referrals.
            models.Index(fields=["next_due_at"], condition=Q(status="open"), name="open_referral_next_due"),
            # The family page's newest referrals (selectors.family_referrals), read without sorting all
            # of a family's referrals first.
            models.Index(fields=["family", "-created_at", "-id"], name="referral_family_recent"),
            # My work's "Waiting on children's social care" (selectors.waiting_on_csc): each of the key
            # worker's families gives only its referrals still waiting, without reading its others.
            models.Index(
                fields=["family", "next_due_at", "id"], condition=Q(status="open", next_due_at__isnull=False),
                name="referral_family_waiting",
            ),
            # The delay figures' open referrals per authority and how many are overdue (figures.delay_figures).
            models.Index(fields=["local_authority"], include=["family", "next_due_at"], condition=Q(status="open"),
                         name="open_referral_authority"),
        ]

    def __str__(self):
        return f"Referral to {self.local_authority}"

    def get_absolute_url(self):
        return reverse("referrals:detail", args=[self.family_id, self.pk])

    def get_additional_data(self):
        return {"family_id": self.family_id}

    @property
    def is_open(self):
        return self.status == self.Status.OPEN


class MilestoneRecord(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="milestones")
    milestone = models.CharField(max_length=30, choices=Milestone.choices)
    occurred_at = models.DateTimeField("when")
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "milestone"],
                condition=~Q(milestone__in=[m.value for m in REPEATABLE_MILESTONES]),
                name="milestone_recorded_once",
            ),
        ]
        indexes = [
            # The delay figures' referrals of a period (figures.follow_up_counts), read from the index alone.
            models.Index(fields=["occurred_at"], include=["referral"], condition=Q(milestone="referral_made"),
                         name="referral_made_at"),
            # Their decision, assessment and closure, joined from the index alone.
            models.Index(fields=["milestone", "referral"], include=["occurred_at"],
                         condition=Q(milestone__in=["decision", "assessment_completed", "closed"]),
                         name="milestone_step_at"),
        ]

    def __str__(self):
        return self.get_milestone_display()

    def get_additional_data(self):
        return {"family_id": self.referral.family_id}


class SocialWorkerAllocation(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="social_workers")
    # The social worker in the directory of professionals, where they are in it; the name is kept too.
    professional = models.ForeignKey(
        "agencies.Professional", on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    name = models.CharField(max_length=120)
    team = models.CharField(max_length=120, blank=True)
    allocated_on = models.DateField("from")
    ended_on = models.DateField("to", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["allocated_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("allocated_on")),
                name="allocation_ends_after_it_starts",
            ),
        ]

    def __str__(self):
        return self.name

    def get_additional_data(self):
        return {"family_id": self.referral.family_id}


class ParentUpdate(models.Model):
    """An update the parent received from CSC: the record of whether the family was kept informed."""

    class Channel(models.TextChoices):
        PHONE = "phone", "Phone call"
        LETTER = "letter", "Letter"
        EMAIL = "email", "E-mail"
        TEXT = "text", "Text message"
        VISIT = "visit", "Visit or meeting"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="parent_updates")
    received_on = models.DateField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    summary = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-received_on", "-pk"]

    def __str__(self):
        return f"{self.get_channel_display()} on {self.received_on:%d/%m/%Y}"

    def get_additional_data(self):
        return {"family_id": self.referral.family_id}


class Escalation(models.Model):
    """A challenge to CSC about a delay: a letter, a formal complaint, a request to the IRO."""

    class Kind(models.TextChoices):
        LETTER = "letter", "Letter to the team manager"
        COMPLAINT_1 = "complaint_1", "Formal complaint, stage 1"
        COMPLAINT_2 = "complaint_2", "Formal complaint, stage 2"
        COMPLAINT_3 = "complaint_3", "Formal complaint, stage 3"
        IRO = "iro", "Independent reviewing officer"
        OTHER = "other", "Other"

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="escalations")
    flag = models.ForeignKey(
        "deadlines.OverdueFlag", on_delete=models.PROTECT, null=True, blank=True, related_name="escalations"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    to_whom = models.CharField(max_length=200)
    sent_at = models.DateTimeField("sent")
    note = models.TextField(max_length=2000, blank=True)
    response_received_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self):
        return self.get_kind_display()

    def get_additional_data(self):
        return {"family_id": self.referral.family_id}


class ThresholdRule(models.Model):
    """How long CSC has from one milestone to the next. Defaults (no local authority) come from
    statutory guidance; a manager can override any of them for one local authority."""

    class Unit(models.TextChoices):
        WORKING_DAYS = "working_days", "Working days"
        HOURS = "hours", "Hours"
        CALENDAR_MONTHS = "calendar_months", "Calendar months"

    class Basis(models.TextChoices):
        STATUTORY = "statutory", "Statutory guidance"
        LOCAL = "local", "Local practice"

    class AppliesWhen(models.TextChoices):
        ALWAYS = "always", "Always"
        ASSESSMENT = "assessment", "When the decision is child in need or child protection"
        CHILD_PROTECTION = "child_protection", "When the decision is a child protection enquiry"

    from_milestone = models.CharField(max_length=30, choices=Milestone.choices)
    to_milestone = models.CharField(max_length=30, choices=Milestone.choices)
    amount = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(1000)])
    unit = models.CharField(max_length=20, choices=Unit.choices)
    applies_when = models.CharField(max_length=20, choices=AppliesWhen.choices, default=AppliesWhen.ALWAYS)
    basis = models.CharField(max_length=10, choices=Basis.choices)
    source = models.CharField(max_length=200, help_text="The guidance or local agreement this comes from.")
    local_authority = models.ForeignKey(
        "families.LocalAuthority", on_delete=models.CASCADE, null=True, blank=True, related_name="threshold_rules"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["from_milestone", "to_milestone"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_milestone", "to_milestone"],
                condition=Q(local_authority__isnull=True),
                name="one_default_rule_per_step",
            ),
            models.UniqueConstraint(
                fields=["from_milestone", "to_milestone", "local_authority"], name="one_local_rule_per_step"
            ),
        ]

    def __str__(self):
        return f"{self.get_to_milestone_display()}: {self.allowance}"

    @property
    def allowance(self) -> Allowance:
        return Allowance(self.amount, self.unit)


class ThresholdChange(models.Model):
    """A local threshold added, changed or removed: who, when, the rule before and after, and the
    open referrals brought onto it. The referrals are recomputed in the background after the change
    commits; ``applied_at`` is set when that is done."""

    class Action(models.TextChoices):
        ADDED = "added", "Added"
        CHANGED = "changed", "Changed"
        REMOVED = "removed", "Removed"

    rule = models.ForeignKey(ThresholdRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes")
    action = models.CharField(max_length=10, choices=Action.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # Every authority whose referrals follow other rules now: both, when a rule moved between two.
    local_authorities = models.ManyToManyField("families.LocalAuthority", related_name="+")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    referrals_recomputed = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [
            # The background recompute and the thresholds page look for changes not applied yet.
            models.Index(fields=["changed_at"], condition=Q(applied_at__isnull=True), name="threshold_change_pending"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} on {self.changed_at:%d/%m/%Y}"
