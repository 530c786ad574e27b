"""How long records are kept (one rule per kind of record) and the legal holds that stop anything
of a family's from going while an investigation, a prosecution, a complaint or a claim is open."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from families.models import Family


class RetentionRule(models.Model):
    """How long one kind of record is kept: ``years`` and ``months`` from ``starts_from``, or, when
    a second period is set, until the later of the two. The record may go from the date worked out
    by ``data_protection.rules.keep_until``."""

    class Kind(models.TextChoices):
        CLOSED_FAMILY = "closed_family", "A closed family and everything in it"
        PERSON = "person", "A person"
        CALLS = "calls", "Calls"
        REFERRALS = "referrals", "Referrals to children's social care"
        SAFETY_PLANS = "safety_plans", "Safety plans"
        INTELLIGENCE = "intelligence", "Intelligence"
        AUDIT_ENTRIES = "audit_entries", "Audit entries"

    class StartsFrom(models.TextChoices):
        LAST_CONTACT = "last_contact", "The family's last contact"
        CLOSURE = "closure", "The family's closure"
        EIGHTEENTH_BIRTHDAY = "birthday_18", "The child's 18th birthday"
        TWENTY_FIFTH_BIRTHDAY = "birthday_25", "The child's 25th birthday"
        OWN_DATE = "own_date", "The record's own date"

    kind = models.CharField("kind of record", max_length=20, choices=Kind.choices, unique=True)
    years = models.PositiveSmallIntegerField(default=0)
    months = models.PositiveSmallIntegerField(default=0)
    starts_from = models.CharField("from", max_length=20, choices=StartsFrom.choices)
    or_years = models.PositiveSmallIntegerField("or, whichever is later: years", default=0)
    or_months = models.PositiveSmallIntegerField("or, whichever is later: months", default=0)
    or_starts_from = models.CharField(
        "or, whichever is later: from", max_length=20, choices=StartsFrom.choices, blank=True
    )
    reason = models.TextField("why this long", max_length=2000)
    # Empty for the defaults the system was installed with.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(months__lte=11, or_months__lte=11), name="retention_months_below_12"),
            models.CheckConstraint(
                condition=~Q(or_starts_from="") | Q(or_years=0, or_months=0),
                name="retention_second_period_has_a_start",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="retention_rule_has_a_reason"),
        ]

    def __str__(self):
        return self.get_kind_display()

    @property
    def has_second_period(self) -> bool:
        return bool(self.or_starts_from)


class LegalHoldQuerySet(models.QuerySet):
    def in_force(self):
        return self.filter(lifted_at__isnull=True)

    def lifted(self):
        return self.filter(lifted_at__isnull=False)


class LegalHold(models.Model):
    """While a hold is in force nothing of its family is removed or anonymised, whatever the rules
    say. It is lifted, never deleted, so the history of holds stays with the family."""

    class Reason(models.TextChoices):
        POLICE_INVESTIGATION = "police_investigation", "An open police investigation"
        PROSECUTION = "prosecution", "A prosecution"
        COMPLAINT = "complaint", "A complaint"
        CLAIM = "claim", "A claim or legal advice"
        OTHER = "other", "Other"

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="legal_holds")
    reason = models.CharField("why", max_length=30, choices=Reason.choices)
    details = models.TextField(max_length=2000)
    review_on = models.DateField("review on")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField("reason for lifting", max_length=2000, blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["review_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lifted_by__isnull=True, lifted_at__isnull=True, lift_reason="")
                | Q(lifted_by__isnull=False, lifted_at__isnull=False) & ~Q(lift_reason=""),
                name="legal_hold_lifted_with_a_reason",
            ),
            # The retention run reads "is this family held?" as one row or none.
            models.UniqueConstraint(
                fields=["family"], condition=Q(lifted_at__isnull=True), name="one_legal_hold_in_force_per_family"
            ),
        ]

    def __str__(self):
        return f"Legal hold on {self.family}"

    def get_additional_data(self):
        return {"family_id": self.family_id}

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None

    def review_is_due(self, today=None) -> bool:
        """In force and its review date has come (or passed)."""
        return self.in_force and self.review_on <= (today or timezone.localdate())


class RetentionRun(models.Model):
    """One retention run: the dry run worked out for a day (its figures, and the families it listed),
    approved by an administrator, then run (``data_protection.anonymise.run_retention``), which
    anonymises exactly the families listed that are still due and not held. Never deleted: with the
    audit rows of the families it anonymised, it is the record of what went and on whose word."""

    class State(models.TextChoices):
        WORKED_OUT = "worked_out", "Worked out, waiting for approval"
        APPROVED = "approved", "Approved, waiting to run"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    worked_out_for = models.DateField("worked out for")
    # The dry run's figures (data_protection.retention.DryRun as data).
    figures = models.JSONField()
    # The families the dry run listed, by id: a run never anonymises any other.
    family_ids = models.JSONField(default=list)
    # Empty for the nightly dry run.
    worked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    worked_out_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    families_anonymised = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=20, choices=State.choices, default=State.WORKED_OUT)

    class Meta:
        ordering = ["-worked_out_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="worked_out", approved_by__isnull=True, approved_at__isnull=True)
                | ~Q(state="worked_out") & Q(approved_by__isnull=False, approved_at__isnull=False),
                name="retention_run_approved_by_someone",
            ),
            models.CheckConstraint(
                condition=~Q(state="done") | Q(started_at__isnull=False, finished_at__isnull=False),
                name="retention_run_done_has_start_and_finish",
            ),
        ]

    def __str__(self):
        return f"Retention run {self.pk}"

    @property
    def families_listed(self) -> int:
        return len(self.family_ids)


class SubjectAccessRequest(models.Model):
    """A request from a person, or someone on their behalf, for a copy of what is held about them
    (UK GDPR Article 15). Its reply is due one calendar month from receipt, or three once extended
    with a recorded reason (Article 12(3)); the clock is kept by the deadline engine
    (data_protection.deadline_kinds). Written by data_protection.services."""

    class AskedBy(models.TextChoices):
        THEMSELF = "themself", "The person themself"
        PARENT = "parent", "A parent or carer, for a child"
        SOLICITOR = "solicitor", "A solicitor"
        OTHER = "other", "Someone else on their behalf"

    class IdentityCheck(models.TextChoices):
        KNOWN_CONTACT = "known_contact", "Known to us: answered on the contact details we hold"
        DOCUMENT = "document", "An identity document was seen"
        AUTHORITY = "authority", "A signed authority from the person, for someone acting for them"
        OTHER = "other", "Another way"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="subject_access_requests")
    person = models.ForeignKey("families.Person", on_delete=models.PROTECT, related_name="subject_access_requests")
    asked_by = models.CharField("who asked", max_length=20, choices=AskedBy.choices)
    # Empty when the person asked themself.
    asked_by_name = models.CharField("their name", max_length=200, blank=True)
    identity_check = models.CharField("how their identity was checked", max_length=20,
                                      choices=IdentityCheck.choices)
    identity_details = models.TextField("details of the check", max_length=2000)
    received_on = models.DateField("received on")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.TextField("why more time is needed", max_length=2000, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_on = models.DateField("completed on", null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(asked_by="themself", asked_by_name="") | ~Q(asked_by="themself") & ~Q(asked_by_name=""),
                name="subject_access_names_who_asked_for_someone",
            ),
            models.CheckConstraint(condition=~Q(identity_details=""), name="subject_access_identity_checked"),
            models.CheckConstraint(
                condition=Q(extended_by__isnull=True, extended_at__isnull=True, extension_reason="")
                | Q(extended_by__isnull=False, extended_at__isnull=False) & ~Q(extension_reason=""),
                name="subject_access_extended_with_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(state="open", completed_by__isnull=True, completed_on__isnull=True)
                | Q(state="completed", completed_by__isnull=False, completed_on__isnull=False),
                name="subject_access_completed_by_someone",
            ),
        ]

    def __str__(self):
        return f"Subject access request {self.pk}"

    def get_additional_data(self):
        return {"family_id": self.family_id}

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def is_extended(self) -> bool:
        return self.extended_at is not None

    @property
    def who_asked(self) -> str:
        if self.asked_by == self.AskedBy.THEMSELF:
            return self.get_asked_by_display()
        return f"{self.asked_by_name} ({self.get_asked_by_display().lower()})"


class SubjectAccessWithholding(models.Model):
    """An item the reply to a subject access request leaves out, with the exemption that allows it
    (Data Protection Act 2018, Schedules 2 to 4) and the administrator's reasoning."""

    class Reason(models.TextChoices):
        OTHER_PEOPLE = "other_people", "Other people's information"
        POLICE_INTELLIGENCE = "police_intelligence", "Police intelligence (crime and taxation)"
        LEGAL_PRIVILEGE = "legal_privilege", "Legal professional privilege"
        SERIOUS_HARM = "serious_harm", "Likely to cause serious harm"

    request = models.ForeignKey(SubjectAccessRequest, on_delete=models.PROTECT, related_name="withholdings")
    item_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    item_id = models.PositiveBigIntegerField()
    reason = models.CharField("why it is withheld", max_length=30, choices=Reason.choices)
    details = models.TextField(max_length=2000)
    withheld_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    withheld_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "item_type", "item_id"], name="one_withholding_per_item"),
            models.CheckConstraint(condition=~Q(details=""), name="withholding_has_details"),
        ]

    def __str__(self):
        return f"Withheld from {self.request}"

    def get_additional_data(self):
        return {"family_id": self.request.family_id}


class Breach(models.Model):
    """A personal data breach or incident, from its discovery to its closing (UK GDPR Articles 33 and
    34): what happened, what data and whose, the risk to people, and the decision whether to report
    it to the ICO, with the reason either way. A reportable breach is reported within 72 hours of
    discovery; the clock is kept by the deadline engine (data_protection.breach_clock) and flags to
    administrators. Every breach is recorded, reportable or not (Article 33(5)). Written by
    data_protection.breaches; it holds no family's record, only a description of what was affected."""

    class SensitiveData(models.TextChoices):
        YES = "yes", "Yes: special-category data or children's data"
        NO = "no", "No"
        NOT_KNOWN = "not_known", "Not known yet"

    class Risk(models.TextChoices):
        # The ICO's three outcomes of assessing a breach: report unless a risk is unlikely; tell the
        # people affected too when the risk is high.
        NOT_ASSESSED = "not_assessed", "Not assessed yet"
        UNLIKELY = "unlikely", "Unlikely to result in a risk to people's rights and freedoms"
        RISK = "risk", "Likely to result in a risk to people's rights and freedoms"
        HIGH = "high", "Likely to result in a high risk to people's rights and freedoms"

    class Decision(models.TextChoices):
        UNDECIDED = "undecided", "Not decided yet"
        REPORT = "report", "Report it to the ICO"
        NOT_REPORTABLE = "not_reportable", "Not reportable"

    what_happened = models.TextField("what happened", max_length=4000)
    happened_at = models.DateTimeField("when it happened", null=True, blank=True)
    discovered_at = models.DateTimeField("when it was discovered")
    how_discovered = models.TextField("how it was found", max_length=2000)
    data_involved = models.TextField("what data", max_length=2000)
    sensitive_data = models.CharField(
        "includes special-category or children's data", max_length=20, choices=SensitiveData.choices
    )
    people_affected = models.PositiveIntegerField("how many people")
    people_affected_estimated = models.BooleanField("the number is an estimate", default=False)
    risk = models.CharField("risk to people", max_length=20, choices=Risk.choices, default=Risk.NOT_ASSESSED)
    decision = models.CharField(
        "report to the ICO", max_length=20, choices=Decision.choices, default=Decision.UNDECIDED
    )
    decision_reason = models.TextField("why", max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField("reported to the ICO at", null=True, blank=True)
    ico_reference = models.CharField("ICO reference", max_length=50, blank=True)
    who_was_told = models.TextField(
        "who was told", max_length=2000, blank=True,
        help_text="The people affected, funders, the police, insurers: who, when and how.",
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-discovered_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(what_happened=""), name="breach_says_what_happened"),
            # A decision either way says why and who made it; undecided has neither.
            models.CheckConstraint(
                condition=Q(decision="undecided", decision_reason="", decided_by__isnull=True,
                            decided_at__isnull=True)
                | ~Q(decision="undecided") & ~Q(decision_reason="")
                & Q(decided_by__isnull=False, decided_at__isnull=False),
                name="breach_decided_with_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(reported_at__isnull=True, ico_reference="")
                | Q(decision="report", reported_at__isnull=False),
                name="breach_reported_only_when_decided_so",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, closed_by__isnull=True)
                | Q(closed_at__isnull=False, closed_by__isnull=False) & ~Q(decision="undecided"),
                name="breach_closed_once_decided",
            ),
        ]

    def __str__(self):
        return f"Breach {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_decided(self) -> bool:
        return self.decision != self.Decision.UNDECIDED

    @property
    def is_reported(self) -> bool:
        return self.reported_at is not None


class BreachAction(models.Model):
    """Something done about a breach: recorded as it is done, in order, and never changed afterwards
    (a correction is another action)."""

    breach = models.ForeignKey(Breach, on_delete=models.PROTECT, related_name="actions")
    done_at = models.DateTimeField("when")
    what = models.TextField("what was done", max_length=2000)
    done_by = models.CharField(
        "who did it", max_length=200, blank=True, help_text="Leave empty when it was you."
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done_at", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(what=""), name="breach_action_says_what")]

    def __str__(self):
        return f"Action {self.pk} on breach {self.breach_id}"
