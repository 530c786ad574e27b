from datetime import date

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.validators import postcode_key


class Nation(models.TextChoices):
    ENGLAND = "england", "England"
    WALES = "wales", "Wales"
    SCOTLAND = "scotland", "Scotland"
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"


class LocalAuthority(models.Model):
    """A children's services authority (or, in Northern Ireland, a health and social care trust)."""

    code = models.CharField(max_length=20, unique=True, help_text="ONS code where one exists.")
    name = models.CharField(max_length=120)
    nation = models.CharField(max_length=20, choices=Nation.choices)
    is_current = models.BooleanField(
        default=True, help_text="False for authorities abolished by reorganisation; kept for history."
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "local authorities"

    def __str__(self):
        return self.name


class AuthorityDistrict(models.Model):
    """A local authority district (the area code in the postcode directory) and the
    children's services authority that serves it."""

    code = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=120)
    authority = models.ForeignKey(LocalAuthority, on_delete=models.CASCADE, related_name="districts")

    def __str__(self):
        return self.name


class Team(models.Model):
    class Kind(models.TextChoices):
        NATIONAL = "national", "National support team"
        PARENT_LIAISON = "parent_liaison", "Parent liaison team"

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    local_authority = models.ForeignKey(
        LocalAuthority, on_delete=models.PROTECT, null=True, blank=True, related_name="teams"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="national") | Q(local_authority__isnull=False),
                name="parent_liaison_team_has_local_authority",
            ),
        ]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    CASEWORKER = "caseworker", "Caseworker"
    PLO = "plo", "Parent liaison officer"
    MANAGER = "manager", "Manager"
    ADMINISTRATOR = "administrator", "Administrator"


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="one_role_per_team")]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} in {self.team}"


class ReferenceChoice(models.Model):
    """A short list maintained as data (exploitation types, support categories)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class ExploitationType(ReferenceChoice):
    pass


class SupportCategory(ReferenceChoice):
    class Meta(ReferenceChoice.Meta):
        verbose_name_plural = "support categories"


class Family(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class ClosureReason(models.TextChoices):
        SUPPORT_COMPLETE = "support_complete", "Support complete"
        FAMILY_CHOSE_TO_END = "family_chose", "Family chose to end support"
        NO_CONTACT = "no_contact", "Unable to make contact"
        MOVED_TO_OTHER_SERVICE = "other_service", "Supported by another service"
        OTHER = "other", "Other"

    class Source(models.TextChoices):
        SELF = "self", "Parent or carer got in touch"
        POLICE = "police", "Police"
        CSC = "csc", "Children's social care"
        SCHOOL = "school", "School or college"
        HEALTH = "health", "Health"
        VOLUNTARY = "voluntary", "Voluntary organisation"
        PLO = "plo", "Parent liaison officer"
        OTHER = "other", "Other"

    class Channel(models.TextChoices):
        PHONE = "phone", "Phone"
        TEXT = "text", "Text message"
        EMAIL = "email", "E-mail"
        VIDEO = "video", "Video call"

    # NULL only between the insert and the update that derives it from the primary key.
    reference = models.CharField(max_length=12, unique=True, null=True, editable=False)  # noqa: DJ001
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="families")
    key_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="key_worker_families",
    )
    address = models.TextField(max_length=500, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    # The postcode as the search compares it (core.validators.postcode_key): "SO163QB".
    postcode_key = models.CharField(max_length=8, blank=True, editable=False)
    local_authority = models.ForeignKey(
        LocalAuthority, on_delete=models.PROTECT, null=True, blank=True, related_name="families"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    closure_reason = models.CharField(max_length=20, choices=ClosureReason.choices, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    source = models.CharField("how they reached us", max_length=20, choices=Source.choices)
    preferred_channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PHONE)
    safe_contact_times = models.CharField(
        max_length=200, blank=True, help_text="When it is safe to get in touch, e.g. weekdays after 10am."
    )
    voicemail_ok = models.BooleanField("OK to leave a voicemail", default=False)
    texts_ok = models.BooleanField("OK to send texts", default=False)
    contact_notes = models.TextField("other contact preferences", max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # When a retention run anonymised the family (data_protection.anonymise): its tombstone since.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "families"
        indexes = [
            # For the search (selectors.family_search), which compares the start of the key: on
            # PostgreSQL a LIKE 'SO16%' needs the pattern operator class; other databases ignore it.
            models.Index(fields=["postcode_key"], name="family_postcode_key", opclasses=["varchar_pattern_ops"]),
            # The search's order (open first, then the most recently changed): a common name's first
            # 20 matches are read in this order without sorting every family of the team first.
            models.Index(fields=["status", "-updated_at", "id"], name="family_search_order"),
            # My work's "Families I key-work" (selectors.my_work), read a page at a time in order of id
            # (and so of reference: services.FAMILY_REFERENCE_FORMAT); its first two columns serve every
            # "families of this key worker" query.
            models.Index(fields=["key_worker", "status", "id"], name="key_work_families"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closure_reason="", closed_on__isnull=True)
                | Q(status="closed", closed_on__isnull=False) & ~Q(closure_reason=""),
                name="closed_family_has_reason_and_date",
            ),
        ]

    def __str__(self):
        return self.reference or "New family"

    def save(self, *args, **kwargs):
        # Here rather than in one service, as every change of the postcode must move its key too.
        self.postcode_key = postcode_key(self.postcode)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "postcode" in update_fields:
            kwargs["update_fields"] = {*update_fields, "postcode_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("families:detail", args=[self.pk])

    def get_additional_data(self):
        return {"family_id": self.pk}

    @property
    def is_open(self):
        return self.status == self.Status.OPEN


class FamilyTransfer(models.Model):
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="transfers")
    from_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    to_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=2000)
    transferred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    transferred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-transferred_at"]

    def __str__(self):
        return f"Moved from {self.from_team} to {self.to_team}"

    def get_additional_data(self):
        return {"family_id": self.family_id}


class Person(models.Model):
    class Kind(models.TextChoices):
        CARER = "carer", "Parent or carer"
        CHILD = "child", "Child"

    class RiskLevel(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="people")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    first_name = models.CharField(max_length=80)
    # Often not given on a first call to a helpline.
    last_name = models.CharField(max_length=80, blank=True)
    pronouns = models.CharField(max_length=30, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    # Kept by services._prepare_person for the search and the duplicate check: the phone number's
    # national significant digits (core.validators.phone_key) and the names' keys
    # (core.validators.name_key; full_name_key is both names run together).
    phone_digits = models.CharField(max_length=20, blank=True, editable=False)
    first_name_key = models.CharField(max_length=80, blank=True, editable=False)
    last_name_key = models.CharField(max_length=80, blank=True, editable=False)
    full_name_key = models.CharField(max_length=160, blank=True, editable=False)
    email = models.EmailField("e-mail", blank=True)
    # Children only.
    date_of_birth = models.DateField(null=True, blank=True)
    # Not kept in the audit trail either (core.audit.free_text_fields).
    audit_withheld_fields = ("date_of_birth",)
    school = models.CharField(max_length=120, blank=True)
    additional_needs = models.TextField(
        max_length=2000, blank=True, help_text="For example autism, ADHD, a learning disability."
    )
    exploitation_types = models.ManyToManyField(ExploitationType, blank=True, related_name="children")
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices, blank=True)
    looked_after = models.BooleanField("looked after by the local authority", default=False)
    placed_out_of_area = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["kind", "date_of_birth", "first_name"]
        verbose_name_plural = "people"
        # The search compares the start of each key (LIKE 'okaf%'): on PostgreSQL that needs the
        # pattern operator class, which also serves the duplicate check's equality; others ignore it.
        indexes = [
            models.Index(fields=[name], name=f"person_{name}", opclasses=["varchar_pattern_ops"])
            for name in ("first_name_key", "last_name_key", "full_name_key", "phone_digits")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="child") | Q(date_of_birth__isnull=True, risk_level="", looked_after=False),
                name="child_fields_only_on_children",
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        return " ".join(name for name in (self.first_name, self.last_name) if name)

    @property
    def is_child(self):
        return self.kind == self.Kind.CHILD

    def age_on(self, day: date):
        if not self.date_of_birth:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self):
        return self.age_on(timezone.localdate())

    def get_additional_data(self):
        return {"family_id": self.family_id}


class Relationship(models.Model):
    class Kind(models.TextChoices):
        MOTHER = "mother", "Mother"
        FATHER = "father", "Father"
        STEP_PARENT = "step_parent", "Step-parent"
        GRANDPARENT = "grandparent", "Grandparent"
        KINSHIP_CARER = "kinship_carer", "Kinship carer"
        FOSTER_CARER = "foster_carer", "Foster carer"
        OTHER = "other", "Other"

    carer = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships_as_carer")
    child = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships_as_child")
    kind = models.CharField(max_length=20, choices=Kind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["carer", "child"], name="one_relationship_per_pair")]

    def __str__(self):
        return f"{self.carer.first_name} is {self.child.first_name}'s {self.get_kind_display().lower()}"

    def get_additional_data(self):
        return {"family_id": self.child.family_id}


class RiskLevelChange(models.Model):
    child = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="risk_history")
    level = models.CharField(max_length=10, choices=Person.RiskLevel.choices)
    reason = models.TextField(max_length=2000, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self):
        return f"Risk {self.get_level_display().lower()}"

    def get_additional_data(self):
        return {"family_id": self.child.family_id}


class AgencyKind(models.TextChoices):
    """The kinds of agency the family's information may be shared with. Here, below the agencies app,
    so that consent to share can name one and anything that shares can ask about it."""

    POLICE = "police", "The police"
    CSC = "csc", "Children's social care"
    SCHOOL = "school", "A school or college"
    HEALTH = "health", "Health"
    YOUTH_JUSTICE = "youth_justice", "Youth justice"
    OTHER = "other", "Another agency"


# How each kind of agency reads in a sentence ("withdrew consent to share with the police").
AGENCY_IN_A_SENTENCE = {
    AgencyKind.POLICE: "the police",
    AgencyKind.CSC: "children's social care",
    AgencyKind.SCHOOL: "a school or college",
    AgencyKind.HEALTH: "health services",
    AgencyKind.YOUTH_JUSTICE: "youth justice services",
    AgencyKind.OTHER: "another agency",
}


class Consent(models.Model):
    class Kind(models.TextChoices):
        STORE = "store", "To keep their information on our records"
        SHARE = "share", "To share information with a named agency"

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    agency = models.CharField(max_length=120, blank=True, help_text="Required when sharing with an agency.")
    agency_kind = models.CharField(
        "kind of agency", max_length=20, choices=AgencyKind.choices, blank=True,
        help_text="Required when sharing with an agency.",
    )
    given_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents_given")
    given_on = models.DateField()
    withdrawn_on = models.DateField(null=True, blank=True)
    notes = models.TextField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-given_on"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="store") | ~Q(agency=""), name="sharing_consent_names_agency"),
            models.CheckConstraint(
                condition=Q(kind="store", agency_kind="") | Q(kind="share") & ~Q(agency_kind=""),
                name="sharing_consent_names_agency_kind",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=models.F("given_on")),
                name="consent_withdrawn_after_given",
            ),
        ]

    def __str__(self):
        return self.get_kind_display()

    def get_additional_data(self):
        return {"family_id": self.family_id}

    @property
    def is_active(self):
        return self.withdrawn_on is None


class SharingWithoutConsent(models.Model):
    """Information shared with an agency after the parent withdrew consent to share with that kind of
    agency, and why it was right to go ahead (a child at risk of significant harm, for example). The
    reason is case text, which the audit trail never keeps, so it lives here, beside the consents."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="sharing_without_consent")
    agency_kind = models.CharField("kind of agency", max_length=20, choices=AgencyKind.choices)
    what = models.CharField("what was shared", max_length=120)
    reason = models.TextField("why it was right to share without consent", max_length=2000)
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-shared_at", "-pk"]
        verbose_name_plural = "sharing without consent"
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="sharing_without_consent_has_reason")]

    def __str__(self):
        return f"Shared without consent: {self.what}"

    @property
    def agency_in_a_sentence(self) -> str:
        return AGENCY_IN_A_SENTENCE.get(self.agency_kind, "another agency")

    def get_additional_data(self):
        return {"family_id": self.family_id}


class Contact(models.Model):
    """One conversation with the family: a call, a text exchange, a visit."""

    class Channel(models.TextChoices):
        PHONE = "phone", "Phone"
        EMAIL = "email", "E-mail"
        TEXT = "text", "Text message"
        VIDEO = "video", "Video call"
        FACE_TO_FACE = "face_to_face", "Face to face"
        BEFRIENDING = "befriending", "Befriending"

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="contacts")
    occurred_at = models.DateTimeField("when")
    duration_minutes = models.PositiveSmallIntegerField(
        "duration (minutes)", validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.PHONE)
    spoke_with = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts"
    )
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contacts")
    summary = models.TextField("what was discussed", max_length=20000)
    support_given = models.ManyToManyField(SupportCategory, blank=True, related_name="contacts")
    handle_with_care = models.BooleanField(
        default=False, help_text="The summary holds distressing detail; it is hidden until someone chooses to read it."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    # A call logged by mistake (twice, or never happened) is struck through, never deleted: its text
    # stays readable, with who struck it, when and why (families.calls.contact_strike).
    struck_at = models.DateTimeField(null=True, blank=True, editable=False)
    struck_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    struck_reason = models.TextField(max_length=2000, blank=True, editable=False)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["family", "-occurred_at"]),
            models.Index(fields=["worker", "-occurred_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(struck_at__isnull=True, struck_by__isnull=True, struck_reason="")
                | Q(struck_at__isnull=False, struck_by__isnull=False) & ~Q(struck_reason=""),
                name="struck_call_has_who_when_and_why",
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} on {timezone.localtime(self.occurred_at):%d/%m/%Y %H:%M}"

    def get_absolute_url(self):
        return reverse("families:call_detail", args=[self.family_id, self.pk])

    def get_additional_data(self):
        return {"family_id": self.family_id}

    @property
    def is_struck(self):
        return self.struck_at is not None


class FollowUp(models.Model):
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="follow_ups")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_ups")
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            # "My work": a worker's follow-ups still to do, soonest first.
            models.Index(
                fields=["owner", "due_on"], condition=Q(done_at__isnull=True), name="open_follow_ups_by_owner"
            ),
            # The family page's follow-ups, a page at a time (selectors.family_page): still to do, soonest
            # first; done, most recently done first (the timeline's "follow-ups done" as well).
            models.Index(
                fields=["family", "due_on", "id"], condition=Q(done_at__isnull=True), name="open_follow_ups_by_family"
            ),
            models.Index(
                fields=["family", "-done_at", "-id"], condition=Q(done_at__isnull=False),
                name="done_follow_ups_by_family",
            ),
            # A manager's My work: the team's overdue follow-ups, most overdue first.
            models.Index(fields=["due_on", "id"], condition=Q(done_at__isnull=True), name="open_follow_ups_by_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=True, done_by__isnull=True)
                | Q(done_at__isnull=False, done_by__isnull=False),
                name="follow_up_done_has_who_and_when",
            ),
        ]

    def __str__(self):
        return self.description

    def get_additional_data(self):
        return {"family_id": self.family_id}

    @property
    def is_done(self):
        return self.done_at is not None

    def is_overdue_on(self, day: date):
        return not self.is_done and self.due_on < day


class ContactRevision(models.Model):
    """A change to a call after it was logged: amended (the values it had before are kept here), moved
    to the family it belongs to, struck through or reinstated. Written by families.calls, one row per
    change, and never changed or deleted: with the call itself it is the call's whole history."""

    class Kind(models.TextChoices):
        AMEND = "amend", "Amended"
        MOVE = "move", "Moved to another family"
        STRIKE = "strike", "Struck through"
        REINSTATE = "reinstate", "Reinstated"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="revisions")
    # The family the call was on when it was changed: for a move, the family it left.
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="call_revisions")
    to_family = models.ForeignKey(Family, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.TextField(max_length=2000, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    # The names of the fields this change altered, and (an amendment, or a move that cleared who we
    # spoke with) the values every editable field had before it.
    changed_fields = models.JSONField(default=list, blank=True)
    summary = models.TextField("what was discussed", max_length=20000, blank=True)
    occurred_at = models.DateTimeField("when", null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField("duration (minutes)", null=True, blank=True)
    channel = models.CharField(max_length=20, choices=Contact.Channel.choices, blank=True)
    spoke_with = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The support categories' names: readable even if the list of categories changes.
    support_given = models.JSONField(default=list, blank=True)
    handle_with_care = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [
            # The timeline of the family a call was moved away from (families.timeline_sources._calls).
            models.Index(fields=["family", "changed_at"], condition=Q(kind="move"), name="call_moved_away"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="move") | Q(to_family__isnull=True), name="only_a_move_has_to_family"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["move", "strike"]) | ~Q(reason=""), name="call_move_and_strike_have_reason"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.changed_by}"

    def get_additional_data(self):
        return {"family_id": self.family_id}


class Handover(models.Model):
    """A family handed to a new key worker: its summary waits on their home page until they mark it
    read. Written by families.handover.handover_create when the key worker changes to someone."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="handovers")
    # A notice to one person, not part of the family's record (the audit log keeps that): it goes
    # with their account.
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="handovers_received")
    # Empty when the family had no key worker before.
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The home page: the signed-in person's hand-overs not yet read (families.handover.unread_handovers).
            models.Index(fields=["to_user", "created_at"], condition=Q(read_at__isnull=True), name="handover_unread"),
        ]
        constraints = [
            # A family handed away and back again before it was read is still one thing to read.
            models.UniqueConstraint(
                fields=["family", "to_user"], condition=Q(read_at__isnull=True), name="one_unread_handover_per_family"
            ),
        ]

    def __str__(self):
        return f"{self.family} handed to {self.to_user}"

    def get_additional_data(self):
        return {"family_id": self.family_id}

    @property
    def is_read(self):
        return self.read_at is not None


class Challenge(models.Model):
    """A parent's or carer's challenge to what an entry about them says ("that is not what I
    said"), and what was decided about it. The entry is any kind of record (a call for now): the
    challenge never changes it. A correction is made the entry's own way (a call is amended, which
    keeps what it said before), so the original stays readable to staff as history. Written by
    families.rectification."""

    class Outcome(models.TextChoices):
        OPEN = "open", "Not decided yet"
        CORRECTED = "corrected", "Corrected"
        PARTLY_CORRECTED = "partly_corrected", "Partly corrected"
        NOT_CHANGED = "not_changed", "Not changed"

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="challenges")
    entry_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    entry_id = models.PositiveBigIntegerField()
    entry = GenericForeignKey("entry_type", "entry_id")
    raised_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="challenges_raised")
    received_on = models.DateField("when we were told")
    what_is_wrong = models.TextField("what the parent says is wrong", max_length=5000)
    what_it_should_say = models.TextField("what they say it should say", max_length=5000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.OPEN)
    reason = models.TextField("why", max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_on = models.DateField(null=True, blank=True)
    # For a call: the amendment that put it right, when the outcome says it was (partly) corrected.
    amendment = models.ForeignKey(
        ContactRevision, on_delete=models.PROTECT, null=True, blank=True, related_name="challenges"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-received_on", "-pk"]
        indexes = [
            # An entry's own page (its challenges), and the timeline's "Challenged" mark on each call
            # (families.rectification.open_challenge_on).
            models.Index(fields=["entry_type", "entry_id"], name="challenge_entry"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="open", decided_by__isnull=True, decided_on__isnull=True)
                | ~Q(outcome="open") & Q(decided_by__isnull=False, decided_on__isnull=False),
                name="decided_challenge_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=["not_changed", "partly_corrected"]) | ~Q(reason=""),
                name="challenge_not_corrected_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(amendment__isnull=True) | Q(outcome__in=["corrected", "partly_corrected"]),
                name="challenge_amendment_only_when_corrected",
            ),
        ]

    def __str__(self):
        return f"Challenge by {self.raised_by}"

    def get_additional_data(self):
        return {"family_id": self.family_id}

    @property
    def is_open(self):
        return self.outcome == self.Outcome.OPEN
