"""Reads for the retention rules, legal holds, retention runs and subject access requests."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Case, Prefetch, Q, Value, When
from django.utils import timezone
from django.utils.text import Truncator

from data_protection import deadline_kinds
from data_protection.models import (
    LegalHold,
    RetentionRule,
    RetentionRun,
    SubjectAccessRequest,
    SubjectAccessWithholding,
)
from families.models import Challenge, Consent, Contact, Person
from meetings.models import Meeting, MeetingAction
from outcomes.measures import MEASURES
from outcomes.models import CheckIn
from referrals.models import Referral
from safety_plans.models import Commitment, IntelligenceEntry, PersonOfConcern, PlanStep, SafetyPlan, Worry


def families_on_hold():
    """The ids of the families with a legal hold in force (a subquery): the retention run leaves
    them untouched."""
    return LegalHold.objects.in_force().values("family_id")


def hold_in_force(family) -> LegalHold | None:
    return LegalHold.objects.in_force().filter(family=family).select_related("placed_by").first()


def retention_rules():
    return RetentionRule.objects.select_related("changed_by").order_by("pk")


def holds_in_force(*, today=None):
    """Holds in force, those whose review date has come first (``review_due``), then by review date."""
    today = today or timezone.localdate()
    return (
        LegalHold.objects.in_force()
        .select_related("family", "placed_by")
        .annotate(review_due=Case(When(review_on__lte=today, then=Value(True)), default=Value(False),
                                  output_field=BooleanField()))
        .order_by("-review_due", "review_on", "pk")
    )


def holds_lifted():
    return LegalHold.objects.lifted().select_related("family", "placed_by", "lifted_by").order_by("-lifted_at", "-pk")


def retention_runs():
    """The runs, newest first, with who worked them out and approved them."""
    return RetentionRun.objects.select_related("worked_out_by", "approved_by").order_by("-worked_out_at", "-pk")


def audit_entries_kept_from(run: RetentionRun) -> date | None:
    """The first day of audit entries ``run``'s dry run kept (entries from before it go with the run),
    or None for a run worked out before audit entries were counted."""
    kept_from = run.figures.get("audit_entries_kept_from")
    return date.fromisoformat(kept_from) if kept_from else None


# ----------------------------------------------------------------- subject access requests


def subject_access_requests():
    """Every request, open ones first (the oldest received first: the soonest due), then completed
    ones, the most recently completed first."""
    return (
        SubjectAccessRequest.objects.select_related("family__local_authority", "person")
        .annotate(completed=Case(When(state=SubjectAccessRequest.State.COMPLETED, then=Value(True)),
                                 default=Value(False), output_field=BooleanField()))
        .order_by("completed", Case(When(state=SubjectAccessRequest.State.OPEN, then="received_on")),
                  "-completed_on", "pk")
    )


@dataclass(frozen=True)
class SubjectAccessRow:
    """A request with the last day of its reply (a month, or three once extended, from receipt)."""

    request: SubjectAccessRequest
    due_on: date
    late: bool

    @property
    def due_in_words(self) -> str:
        return f"{self.due_on:%A} {self.due_on.day} {self.due_on:%B %Y}"


def subject_access_row(request: SubjectAccessRequest, *, now=None) -> SubjectAccessRow:
    """No queries when the request's family (and its local authority) are loaded."""
    now = now or timezone.now()
    due_at = deadline_kinds.due_at(request)
    # The reply is due by the end of the day before the engine's local midnight.
    due_on = timezone.localdate(due_at - timedelta(microseconds=1))
    return SubjectAccessRow(request=request, due_on=due_on, late=request.is_open and now > due_at)


def subject_access_rows(*, now=None) -> list[SubjectAccessRow]:
    return [subject_access_row(request, now=now) for request in subject_access_requests()]


def subject_access_request(pk) -> SubjectAccessRequest:
    """The request ``pk`` with what its pages show (SubjectAccessRequest.DoesNotExist otherwise)."""
    return SubjectAccessRequest.objects.select_related(
        "family__local_authority", "person", "recorded_by", "extended_by", "completed_by"
    ).get(pk=pk)


# How long an item's text is on the review screen: enough to recognise it, the record holds the rest.
SUMMARY_LENGTH = 160


@dataclass(frozen=True)
class SubjectAccessItem:
    """One record held about the person: what kind it is, its date, a short text, and whether the
    reply leaves it out."""

    kind: str
    record: object
    date: date
    summary: str
    content_type_id: int
    withholding: SubjectAccessWithholding | None = None

    @property
    def key(self) -> str:
        """Names the item in the review's form: its content type and id."""
        return f"{self.content_type_id}-{self.record.pk}"

    @property
    def withheld_reason(self) -> str | None:
        return self.withholding.get_reason_display() if self.withholding else None


def _day(moment) -> date:
    return timezone.localdate(moment) if isinstance(moment, datetime) else moment


def _short(*parts) -> str:
    return Truncator(" ".join(str(part) for part in parts if part)).chars(SUMMARY_LENGTH)


def _call_summary(call: Contact) -> str:
    spoke_with = f"Spoke with {call.spoke_with}." if call.spoke_with_id else ""
    struck = "Struck through." if call.is_struck else ""
    return _short(struck, call.get_channel_display() + ".", spoke_with, call.summary)


def _person_summary(person: Person) -> str:
    born = f"born {person.date_of_birth.day} {person.date_of_birth:%B %Y}" if person.date_of_birth else ""
    return _short(person.full_name, f"({person.get_kind_display().lower()})", born)


def _ratings_summary(check_in: CheckIn) -> str:
    answers = ", ".join(f"{m.short} {getattr(check_in, m.field)} of 5" for m in MEASURES
                        if getattr(check_in, m.field) is not None)
    return _short(f"{check_in.get_occasion_display()}:", answers + ".")


def gather(request: SubjectAccessRequest) -> list[SubjectAccessItem]:
    """Everything held about ``request.person``, read only from ``request.family``'s rows, in sets:
    their own record; the family's calls (they spoke with us, or were spoken about); a parent's own
    ratings (outcomes); and, for a
    child, the referrals, safety plan, intelligence and meetings naming them (intelligence and
    meetings naming no child are about all of the family's children), for a parent or carer every
    one of the family's; and the family's consents and challenges. Each item carries the
    withholding decided for it. A fixed number of queries, whatever the number of items."""
    family_id, person = request.family_id, request.person
    for_child = person.kind == Person.Kind.CHILD
    types = ContentType.objects.get_for_models(
        Person, Contact, Referral, SafetyPlan, Worry, PersonOfConcern, PlanStep, Commitment, IntelligenceEntry,
        Meeting, Consent, Challenge, CheckIn,
    )
    withheld = {(w.item_type_id, w.item_id): w for w in SubjectAccessWithholding.objects.filter(request=request)}
    items: list[SubjectAccessItem] = []

    def add(kind, record, when, summary):
        type_id = types[type(record)].pk
        items.append(SubjectAccessItem(kind=kind, record=record, date=_day(when), summary=summary,
                                       content_type_id=type_id, withholding=withheld.get((type_id, record.pk))))

    # The prefetches carry what the reply (data_protection.response) prints of each record.
    for own in Person.objects.filter(pk=person.pk, family_id=family_id).prefetch_related("exploitation_types"):
        add("Their own record", own, own.created_at, _person_summary(own))
    for call in (Contact.objects.filter(family_id=family_id).select_related("spoke_with")
                 .prefetch_related("support_given").order_by("occurred_at", "pk")):
        add("Call", call, call.occurred_at, _call_summary(call))
    # A parent's ratings are theirs alone (a child's request has none: one query either way).
    for check_in in CheckIn.objects.filter(family_id=family_id, parent=person).order_by("asked_on", "pk"):
        add("Ratings", check_in, check_in.asked_on, _ratings_summary(check_in))

    referrals = Referral.objects.filter(family_id=family_id)
    plans = SafetyPlan.objects.filter(family_id=family_id)
    intelligence = IntelligenceEntry.objects.filter(family_id=family_id)
    meetings = Meeting.objects.filter(family_id=family_id)
    if for_child:
        referrals = referrals.filter(children=person)
        plans = plans.filter(child=person)
        intelligence = intelligence.filter(Q(child=person) | Q(child__isnull=True))
        meetings = meetings.filter(Q(children=person) | Q(children__isnull=True)).distinct()
    for referral in (referrals.select_related("local_authority").prefetch_related("milestones", "parent_updates")
                     .order_by("created_at", "pk")):
        add("Referral to children's social care", referral, referral.created_at,
            _short(f"To {referral.local_authority.name}.", referral.summary))
    plan_ids = []
    for plan in plans.select_related("child").prefetch_related("ratings").order_by("pk"):
        plan_ids.append(plan.pk)
        add("Safety plan", plan, plan.updated_at, _short(f"For {plan.child}.", plan.what_is_working_well))
    rows = (
        ("Safety plan: a worry", Worry, lambda row: _short(row.who_is_worried + ":", row.worry)),
        ("Safety plan: a person of concern", PersonOfConcern, lambda row: _short(row.name_or_description, row.notes)),
        ("Safety plan: a step", PlanStep, lambda row: _short(f"If {row.if_this_happens}:", row.then_we_do)),
        ("Safety plan: a commitment", Commitment, lambda row: _short(row.who + ":", row.commitment)),
    )
    for kind, model, summary in rows:
        for row in model.objects.filter(plan_id__in=plan_ids).select_related("plan").order_by("plan_id", "position",
                                                                                                  "pk"):
            add(kind, row, row.plan.updated_at, summary(row))
    for entry in intelligence.order_by("observed_at", "pk"):
        add("Intelligence", entry, entry.observed_at, _short(entry.get_kind_display() + ":", entry.description))
    for meeting in meetings.prefetch_related(
        "agencies", Prefetch("actions", queryset=MeetingAction.objects.select_related("agency")),
    ).order_by("held_at", "pk"):
        add("Meeting", meeting, meeting.held_at, _short(meeting.get_kind_display() + ".", meeting.notes))
    for consent in Consent.objects.filter(family_id=family_id).select_related("given_by").order_by("given_on", "pk"):
        withdrawn = consent.withdrawn_on and f"Withdrawn on {consent.withdrawn_on.day} {consent.withdrawn_on:%B %Y}."
        add("Consent", consent, consent.given_on,
            _short(consent.get_kind_display(), consent.agency, f"Given by {consent.given_by}.", withdrawn))
    for challenge in (Challenge.objects.filter(family_id=family_id).select_related("raised_by")
                      .order_by("received_on", "pk")):
        add("Challenge to a record", challenge, challenge.received_on,
            _short(f"Raised by {challenge.raised_by}:", challenge.what_is_wrong))
    return items
