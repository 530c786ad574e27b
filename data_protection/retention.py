"""The retention run's dry run: which closed families the "closed family" rule lets go today, and
how many records of each kind would go with them. Nothing here changes anything.

The dates are worked out in the database, set-based, with date arithmetic that gives exactly what
``data_protection.rules.later_by`` gives (``LaterBy``), on SQLite and on PostgreSQL alike: one query decides
every family however many there are, and no family is read into Python to decide it.
``tests/data_protection/test_retention_dry_run.py`` checks the two agree, family by family.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from core import audit
from data_protection.models import LegalHold, RetentionRule, SubjectAccessRequest
from data_protection.rules import earliest_kept, rule_in_words
from families.models import Contact, Family, Person
from meetings.models import Meeting
from referrals.models import Referral
from safety_plans.models import IntelligenceEntry, SafetyPlan

Kind = RetentionRule.Kind
StartsFrom = RetentionRule.StartsFrom

_BIRTHDAY_YEARS = {StartsFrom.EIGHTEENTH_BIRTHDAY: 18, StartsFrom.TWENTY_FIFTH_BIRTHDAY: 25}


class LaterBy(Func):
    """A date column moved on by a whole number of months, as ``rules.later_by`` does it: when the
    month reached has no such day (29 February in a common year, 31 April), the first day of the
    next month. Each database's own arithmetic gets that day wrong in its own way (PostgreSQL keeps
    to the end of the shorter month, SQLite runs on into the next one by the days missing), so
    both are caught by the day of the month changing and sent to the first of the next month."""

    output_field = DateField()

    def __init__(self, expression, *, months: int):
        super().__init__(expression, output_field=DateField())
        self.months = months

    def as_sqlite(self, compiler, connection, **extra_context):
        day, params = compiler.compile(self.source_expressions[0])
        moved = f"'+{self.months} months'"
        next_month = f"'+{self.months + 1} months'"
        sql = (f"(CASE WHEN strftime('%%d', date({day}, {moved})) = strftime('%%d', {day}) "
               f"THEN date({day}, {moved}) ELSE date({day}, 'start of month', {next_month}) END)")
        return sql, (*params, *params, *params, *params)

    def as_postgresql(self, compiler, connection, **extra_context):
        day, params = compiler.compile(self.source_expressions[0])
        moved = f"CAST(CAST({day} AS date) + INTERVAL '{self.months} months' AS date)"
        next_month = (f"CAST(date_trunc('month', CAST({day} AS timestamp)) "
                      f"+ INTERVAL '{self.months + 1} months' AS date)")
        sql = (f"(CASE WHEN EXTRACT(DAY FROM {moved}) = EXTRACT(DAY FROM CAST({day} AS date)) "
               f"THEN {moved} ELSE {next_month} END)")
        return sql, (*params, *params, *params, *params)


def _with_their_dates(families):
    """``families`` annotated with the dates the rules count from: ``last_contact_on`` (the day, in
    UK time, of the latest call, or the day the family was added when there is none),
    ``created_on``, ``youngest_born``, and whether it has a child (``has_child``) and a child with
    no date of birth (``has_undated_child``).

    They are aggregates over the family's people and calls joined together: every one is a MAX,
    which the join's repeated rows cannot change, and the database works each out once per family
    however often the date arithmetic names it (a correlated subquery would be run again at each
    mention, a dozen times per family)."""
    here = timezone.get_current_timezone()
    child = Q(people__kind=Person.Kind.CHILD)
    return families.annotate(
        last_contact_on=TruncDate(Coalesce(Max("contacts__occurred_at"), F("created_at")), tzinfo=here),
        created_on=TruncDate("created_at", tzinfo=here),
        youngest_born=Max("people__date_of_birth", filter=child),
        has_child=Max(Case(When(child, then=Value(1)), default=Value(0))),
        has_undated_child=Max(Case(When(child & Q(people__date_of_birth__isnull=True), then=Value(1)),
                                   default=Value(0))),
    )


def _period_end(years: int, months: int, starts_from):
    """(the period's end, the condition under which it is known) as expressions over
    ``_with_their_dates``, following ``rules._end``."""
    if starts_from in _BIRTHDAY_YEARS:
        total = (_BIRTHDAY_YEARS[starts_from] + years) * 12 + months
        # later_by never goes backwards, so the youngest child's end is the latest of all theirs.
        return LaterBy(F("youngest_born"), months=total), Q(has_child=1, has_undated_child=0)
    start = {
        StartsFrom.LAST_CONTACT: "last_contact_on",
        StartsFrom.CLOSURE: "closed_on",
        # A family's own date is the day it was added.
        StartsFrom.OWN_DATE: "created_on",
    }[starts_from]
    return LaterBy(F(start), months=years * 12 + months), Q(**{f"{start}__isnull": False})


def _retention_on(rule: RetentionRule):
    """The day from which a family may go under ``rule`` (``rules.keep_until``), NULL when a date it
    counts from is unknown. The condition is spelt out, not left to NULL: PostgreSQL's GREATEST
    skips NULLs where SQLite's MAX returns one."""
    first, first_known = _period_end(rule.years, rule.months, rule.starts_from)
    if not rule.or_starts_from:
        return Case(When(first_known, then=first), default=Value(None), output_field=DateField())
    second, second_known = _period_end(rule.or_years, rule.or_months, rule.or_starts_from)
    return Case(
        When(~(first_known & second_known), then=Value(None)),
        When(GreaterThanOrEqual(first, second), then=first),
        default=second,
        output_field=DateField(),
    )


def closed_families_with_retention_dates(rule: RetentionRule | None = None):
    """Every closed family not yet anonymised, annotated with ``retention_on`` (the day it may go
    under the closed family rule, or None while that is unknown) and ``held`` (a legal hold is in
    force, or a subject access request is open: what was asked for must not be destroyed before the
    reply, Data Protection Act 2018 s.173)."""
    rule = rule or RetentionRule.objects.get(kind=Kind.CLOSED_FAMILY)
    families = _with_their_dates(Family.objects.filter(status=Family.Status.CLOSED, anonymised_at__isnull=True))
    on_hold = Exists(LegalHold.objects.in_force().filter(family=OuterRef("pk")))
    open_requests = SubjectAccessRequest.objects.filter(state=SubjectAccessRequest.State.OPEN)
    asked_for = Exists(open_requests.filter(family=OuterRef("pk")))
    held = ExpressionWrapper(Q(on_hold) | Q(asked_for), output_field=BooleanField())
    return families.annotate(retention_on=_retention_on(rule), held=held)


def families_due(today: date, *, rule: RetentionRule | None = None):
    """The closed families whose retention date under the closed family rule has come by ``today``
    and that have no legal hold in force: a queryset, one query however many families there are.
    A family is kept while a date the rule counts from is unknown, for example a child's date of
    birth when the rule counts from a birthday (``rules.keep_until``)."""
    return closed_families_with_retention_dates(rule).filter(retention_on__lte=today, held=False)


@dataclass(frozen=True)
class RecordKindFigure:
    """How many records of one kind would go with the families due. ``records`` is None for a kind
    whose own rule no longer reads as the closed family rule: the dry run does not count those."""

    label: str
    rule: RetentionRule | None
    rule_in_words: str
    follows_family: bool
    records: int | None


@dataclass(frozen=True)
class DryRun:
    today: date
    rule: RetentionRule
    rule_in_words: str
    families: int
    held: int
    oldest_retention_on: date | None
    newest_retention_on: date | None
    record_kinds: list[RecordKindFigure]
    # The audit entries' own rule: entries written before the start of this London day may go.
    audit_entries_kept_from: date
    audit_entries_rule_in_words: str
    audit_entries: int

    @property
    def records(self) -> int:
        return sum(kind.records or 0 for kind in self.record_kinds)


# The records that go with a family: (label, their model, the kind of their rule, or None for
# records with no rule of their own, which only ever go with their family).
RECORD_KINDS = [
    ("People", Person, Kind.PERSON),
    ("Calls", Contact, Kind.CALLS),
    ("Referrals to children's social care", Referral, Kind.REFERRALS),
    ("Safety plans", SafetyPlan, Kind.SAFETY_PLANS),
    ("Intelligence entries", IntelligenceEntry, Kind.INTELLIGENCE),
    ("Meetings", Meeting, None),
]

_PERIOD_FIELDS = ("years", "months", "starts_from", "or_years", "or_months", "or_starts_from")


def follows(rule: RetentionRule | None, family_rule: RetentionRule) -> bool:
    """Whether records under ``rule`` are kept exactly as long as their family."""
    return rule is None or all(getattr(rule, name) == getattr(family_rule, name) for name in _PERIOD_FIELDS)


def _records_of(model):
    """How many ``model`` rows belong to the family of the row (a correlated count)."""
    rows = model.objects.filter(family=OuterRef("pk")).order_by().values("family").annotate(n=Count("pk"))
    return Coalesce(Subquery(rows.values("n"), output_field=IntegerField()), Value(0))


def audit_entries_cut_off(kept_from: date) -> datetime:
    """The moment before which audit entries may go: the start of the London day ``kept_from``."""
    return timezone.make_aware(datetime.combine(kept_from, time.min))


def audit_entries_due(today: date, rule: RetentionRule | None = None) -> tuple[date, int]:
    """(the first day of audit entries the audit entries' rule keeps on ``today``, how many written
    before it would go): one query, on the trail's index of moments."""
    rule = rule or RetentionRule.objects.get(kind=Kind.AUDIT_ENTRIES)
    kept_from = earliest_kept(rule, today)
    return kept_from, audit.entries_before(audit_entries_cut_off(kept_from)).count()


def dry_run(today: date | None = None) -> DryRun:
    """What a retention run on ``today`` would let go under the closed family rule, and what it
    would keep only because of a legal hold, and the audit entries their own rule lets go: four
    queries whatever the number of families (the rules; one aggregate over the families whose
    retention date has come; one that sums, over the families due, how many records of each kind
    each has; one count of the audit entries)."""
    today = today or timezone.localdate()
    rules = {rule.kind: rule for rule in RetentionRule.objects.all()}
    family_rule = rules[Kind.CLOSED_FAMILY]
    followed = [(label, model, rules.get(kind) if kind else None) for label, model, kind in RECORD_KINDS]
    counted = {f"records_{index}": model for index, (_, model, rule) in enumerate(followed)
               if follows(rule, family_rule)}
    families = closed_families_with_retention_dates(family_rule).filter(retention_on__lte=today)
    due = Q(held=False)
    figures = families.aggregate(
        due=Count("pk", filter=due),
        kept_by_a_hold=Count("pk", filter=Q(held=True)),
        oldest=Min("retention_on", filter=due),
        newest=Max("retention_on", filter=due),
    )
    if counted and figures["due"]:
        # Apart from the query above: counts beside its GROUP BY would be grouped by too, and so
        # worked out for every joined row rather than once per family.
        figures |= Family.objects.filter(pk__in=families.filter(due).values("pk")).aggregate(
            **{f"total_{name}": Coalesce(Sum(_records_of(model)), Value(0)) for name, model in counted.items()}
        )
    else:
        figures |= {f"total_{name}": 0 for name in counted}
    record_kinds = [
        RecordKindFigure(label=label, rule=rule, rule_in_words=rule_in_words(rule) if rule else "",
                         follows_family=f"records_{index}" in counted,
                         records=figures.get(f"total_records_{index}"))
        for index, (label, _, rule) in enumerate(followed)
    ]
    audit_rule = rules[Kind.AUDIT_ENTRIES]
    audit_kept_from, audit_entries = audit_entries_due(today, audit_rule)
    return DryRun(
        today=today, rule=family_rule, rule_in_words=rule_in_words(family_rule), families=figures["due"],
        held=figures["kept_by_a_hold"], oldest_retention_on=figures["oldest"], newest_retention_on=figures["newest"],
        record_kinds=record_kinds, audit_entries_kept_from=audit_kept_from,
        audit_entries_rule_in_words=rule_in_words(audit_rule), audit_entries=audit_entries,
    )
