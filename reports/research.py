"""The anonymised research export: chosen fields of chosen families, in a form a researcher can
use without anyone in it being known again.

What never leaves: names, contact details, addresses and postcodes, references (ours, the police's,
children's social care's), every word written about anyone (calls, notes, plans, reasons), and
exact dates. Dates go to the month (first supported, closed), ages to bands (a child's age on the
day the family first came to us), places to the local authority. Each family is under a random
identifier made for this export only (``secrets``, never derived from its id), and the rows are in
the order of those identifiers, so neither links back to our records or to another export.

The quasi-identifiers are the chosen fields among ``QUASI_IDENTIFIERS``: local authority, team, how
the family reached us, status, month first supported, month closed, the children's age bands, the
number of children and their exploitation types. They are what someone outside the service could
know or find out about a family (where they live, when they came to us, who referred them, how
many children they have and how old, what a local news story said happened), and so could use to
pick a family out of the export. The other fields (calls, support given, risk level, referrals
and their delays, outcome ratings) are known only inside the service: they are what is studied,
not what finds someone.

k-anonymity: rows identical on the quasi-identifier columns form a group, and every group exported
has at least k families (``settings.RESEARCH_EXPORT_K``, 5 unless set; an export may ask for more,
never fewer). Rows in smaller groups are made coarser one step at a time (``LADDER``: months to
quarters, age bands to wider bands, number of children to "1" or "2 or more", quarters to years,
local authority to nation, team to its kind, how they reached us to "themselves" or "someone else",
exploitation types to how many, age bands to under or over 18), only those rows and only as far as
their group needs (local recoding: a column may hold "March 2025" in one row and "2025" in
another). Rows still in a group smaller than k after the last step are left out. The export says
how many were made coarser and how many were left out, and k.

What k-anonymity does not do: a group whose families all share another value (five families, all
closed for the same reason) tells that value about each of them. The fields outside the
quasi-identifiers are banded where a count could be rare (calls, working days), but the export is
for researchers under a data-sharing agreement, not for publication as it is.

Size and queries: at most ``MAX_FAMILIES`` families per export (more are refused with a message).
The families' facts come from a fixed number of queries whatever their number (one for the
families, one per kind of related record chosen: children, exploitation types, support given,
referral milestones, outcome check-ins); grouping and generalising are done in Python over those
rows, a few passes over each.
"""

import io
import secrets
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Least
from django.utils import dateformat, timezone

from core import audit
from core.errors import UserFixableError
from core.spreadsheets import write_rows
from core.working_days import LONDON, working_days_between
from families.models import Contact, Family, LocalAuthority, Nation, Person, SupportCategory, Team
from outcomes.measures import MEASURES
from outcomes.models import CheckIn
from referrals.models import Milestone, MilestoneRecord, Referral
from reports.models import ResearchExport

# A batch job over the families an administrator chose: bounded so one export never holds more
# than a few tens of megabytes in memory.
MAX_FAMILIES = 50_000
# The largest k a form may ask for: beyond it nearly every export would be left out.
MAX_K = 100
# What a family's history says of its read (core.audit.record_reads): never the identifier.
READ_WHAT = "an anonymised research export"
EVENT = "research export made"


# ------------------------------------------------------------------ what is known of each family


@dataclass
class Facts:
    """What the export may say about one family, before any of it is made coarser."""

    family_id: int
    local_authority: str = ""
    nation: str = ""
    team: str = ""
    team_kind: str = ""
    source: str = ""
    status: str = ""
    closure_reason: str = ""
    first_supported: date | None = None  # the London date of the first contact
    closed_on: date | None = None
    calls: int = 0
    referrals: int = 0
    # Per child: age on the day of the first contact (None: date of birth not known), risk level.
    child_ages: list[int | None] = field(default_factory=list)
    child_risks: list[str] = field(default_factory=list)
    exploitation_types: dict[str, int] = field(default_factory=dict)  # name -> position in the list
    support: Counter = field(default_factory=Counter)  # support category id -> calls
    first_referral_decision: str = ""  # banded working days, or why there is none
    ratings: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)  # measure -> first, latest


# ------------------------------------------------------------------ the quasi-identifiers


def _month(day: date | None) -> str:
    return dateformat.format(day, "F Y") if day else ""


def _quarter(day: date | None) -> str:
    if not day:
        return ""
    first = (day.month - 1) // 3 * 3 + 1
    start, end = (dateformat.format(date(2000, month, 1), "F") for month in (first, first + 2))
    return f"{start} to {end} {day.year}"


def _year(day: date | None) -> str:
    return str(day.year) if day else ""


def _closed(level: Callable[[date | None], str]) -> Callable[[Facts], str]:
    return lambda facts: level(facts.closed_on) if facts.closed_on else "Still open"


# (lowest age, label); each band runs to the next one's lowest age. Wider bands for coarser levels.
AGE_BANDS = (
    ((0, "Under 10"), (10, "10–13"), (14, "14–15"), (16, "16–17"), (18, "18 or over")),
    ((0, "Under 14"), (14, "14–17"), (18, "18 or over")),
    ((0, "Under 18"), (18, "18 or over")),
)
AGE_NOT_KNOWN = "Age not known"


def _band(age: int | None, bands) -> str:
    if age is None:
        return AGE_NOT_KNOWN
    return [label for lowest, label in bands if max(age, 0) >= lowest][-1]


def _age_bands(bands) -> Callable[[Facts], str]:
    order = [label for _, label in bands] + [AGE_NOT_KNOWN]

    def shown(facts: Facts) -> str:
        if not facts.child_ages:
            return "No children recorded"
        return "; ".join(sorted({_band(age, bands) for age in facts.child_ages}, key=order.index))

    return shown


def _children(facts: Facts) -> str:
    count = len(facts.child_ages)
    return "None recorded" if count == 0 else "4 or more" if count >= 4 else str(count)


def _children_wider(facts: Facts) -> str:
    count = len(facts.child_ages)
    return "None recorded" if count == 0 else "1" if count == 1 else "2 or more"


def _exploitation_types(facts: Facts) -> str:
    names = sorted(facts.exploitation_types, key=lambda name: (facts.exploitation_types[name], name))
    return "; ".join(names) if names else "None recorded"


def _how_many_types(facts: Facts) -> str:
    count = len(facts.exploitation_types)
    return "None recorded" if count == 0 else "One type" if count == 1 else "More than one type"


def _source_wider(facts: Facts) -> str:
    if facts.source == Family.Source.SELF:
        return "The parent or carer themselves"
    return "Someone else (an agency, a service or another person)"


@dataclass(frozen=True)
class QuasiIdentifier:
    key: str
    header: str
    levels: tuple[Callable[[Facts], str], ...]  # the exact value first, then each coarser one
    level_names: tuple[str, ...]  # what each level is, for the README


QUASI_IDENTIFIERS = {
    qi.key: qi for qi in (
        QuasiIdentifier("local_authority", "Local authority", (
            lambda facts: facts.local_authority or "Not recorded",
            lambda facts: Nation(facts.nation).label if facts.nation else "Not recorded",
        ), ("local authority", "nation")),
        QuasiIdentifier("team", "Team", (
            lambda facts: facts.team,
            lambda facts: Team.Kind(facts.team_kind).label,
        ), ("team", "kind of team")),
        QuasiIdentifier("source", "How they reached the service", (
            lambda facts: Family.Source(facts.source).label if facts.source else "Not recorded",
            _source_wider,
        ), ("who put them in touch", "whether they got in touch themselves")),
        QuasiIdentifier("status", "Status", (
            lambda facts: Family.Status(facts.status).label,
        ), ("as recorded",)),
        QuasiIdentifier("first_supported", "First supported", (
            lambda facts: _month(facts.first_supported),
            lambda facts: _quarter(facts.first_supported),
            lambda facts: _year(facts.first_supported),
        ), ("month", "quarter", "year")),
        QuasiIdentifier("closed", "Closed", (_closed(_month), _closed(_quarter), _closed(_year)),
                        ("month", "quarter", "year")),
        QuasiIdentifier("age_bands", "Children's ages at first contact", tuple(
            _age_bands(bands) for bands in AGE_BANDS
        ), ("bands under 10, 10–13, 14–15, 16–17, 18 or over", "bands under 14, 14–17, 18 or over",
            "bands under 18, 18 or over")),
        QuasiIdentifier("children", "Number of children", (_children, _children_wider),
                        ("number (1, 2, 3, 4 or more)", "1 or 2 or more")),
        QuasiIdentifier("exploitation_types", "Children's exploitation types", (
            _exploitation_types, _how_many_types,
        ), ("type", "number of types")),
    )
}

# The order rows in too small a group are made coarser: first what costs a researcher least.
LADDER = (
    "first_supported", "closed", "age_bands", "children",
    "first_supported", "closed", "local_authority", "team", "source", "exploitation_types", "age_bands",
)


# ------------------------------------------------------------------ the other columns

CALL_BANDS = ((0, "0"), (1, "1"), (2, "2–5"), (6, "6–10"), (11, "11–20"), (21, "21 or more"))
WORKING_DAY_BANDS = ((0, "0–1"), (2, "2–5"), (6, "6–20"), (21, "21–45"), (46, "More than 45"))
RISK_ORDER = {Person.RiskLevel.LOW: 1, Person.RiskLevel.MEDIUM: 2, Person.RiskLevel.HIGH: 3}


def _banded(number: int, bands) -> str:
    return [label for lowest, label in bands if number >= lowest][-1]


def _highest_risk(facts: Facts) -> str:
    risks = [risk for risk in facts.child_risks if risk]
    if not risks:
        return "Not recorded"
    return Person.RiskLevel(max(risks, key=RISK_ORDER.__getitem__)).label


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Facts], object]


@dataclass(frozen=True)
class Field:
    """One box on the form: a quasi-identifier column, other columns, or both."""

    key: str
    label: str
    description: str  # for the README
    quasi_identifier: str = ""
    columns: Callable[[dict], list[Column]] = lambda catalogue: []  # given the support categories

    @property
    def is_quasi_identifier(self) -> bool:
        return bool(self.quasi_identifier)


def _support_columns(categories: dict) -> list[Column]:
    return [
        Column(f"Calls with support given: {name}", lambda facts, pk=pk: facts.support.get(pk, 0))
        for pk, name in categories.items()
    ]


def _rating_columns(_categories) -> list[Column]:
    columns = []
    for measure in MEASURES:
        columns.append(Column(f"{measure.label}: first rating",
                              lambda facts, m=measure.field: facts.ratings.get(m, (None, None))[0] or ""))
        columns.append(Column(f"{measure.label}: latest rating",
                              lambda facts, m=measure.field: facts.ratings.get(m, (None, None))[1] or ""))
    return columns


FIELDS = (
    Field("local_authority", "Local authority", "The local authority the family lives in.",
          quasi_identifier="local_authority"),
    Field("team", "Team", "The team supporting the family (now, or when support ended).", quasi_identifier="team"),
    Field("source", "How they reached the service", "Who put the family in touch with us.", quasi_identifier="source"),
    Field("status", "Status and closure reason", "Open or closed; for a closed family, why support ended.",
          quasi_identifier="status",
          columns=lambda _: [Column("Closure reason", lambda facts: Family.ClosureReason(facts.closure_reason).label
                                    if facts.closure_reason else "")]),
    Field("first_supported", "Month first supported",
          "The month of the family's first contact with us (the first call, or the day their record was made "
          "if earlier).", quasi_identifier="first_supported"),
    Field("closed", "Month closed", "The month support ended; \"Still open\" for an open family.",
          quasi_identifier="closed"),
    Field("age_bands", "Children's age bands at first contact",
          "Each child's age on the day of the family's first contact, in bands; several children's bands "
          "are listed once each.", quasi_identifier="age_bands"),
    Field("children", "Number of children", "How many children the family's record holds.",
          quasi_identifier="children"),
    Field("exploitation_types", "Children's exploitation types",
          "The kinds of exploitation recorded for any of the children.", quasi_identifier="exploitation_types"),
    Field("calls", "Number of calls", "Calls and other contacts logged (not those struck through), in bands.",
          columns=lambda _: [Column("Calls", lambda facts: _banded(facts.calls, CALL_BANDS))]),
    Field("support_given", "Support given", "For each kind of support: how many calls gave it.",
          columns=_support_columns),
    Field("risk_level", "Risk level", "The highest current risk level among the children.",
          columns=lambda _: [Column("Highest risk level among the children", _highest_risk)]),
    Field("referrals", "Referrals to children's social care",
          "How many referrals to children's social care the record holds, and the working days from the first "
          "one being made to children's social care's decision on it, in bands (Monday to Friday, without the "
          "bank holidays of the authority's nation).",
          columns=lambda _: [
              Column("Referrals to children's social care", lambda facts: facts.referrals),
              Column("Working days from the first referral to its decision",
                     lambda facts: facts.first_referral_decision),
          ]),
    Field("outcomes", "Outcome ratings",
          "The parent's own ratings (1 to 5) of each measure: the first they gave, and the latest given at a "
          "later check-in (empty when none). Where several parents gave ratings, those of the parent who "
          "gave the family's first.",
          columns=_rating_columns),
)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
IDENTIFIER_HEADER = "Family (random identifier for this export only)"


# ------------------------------------------------------------------ which families


class TooManyFamilies(UserFixableError):
    def __init__(self):
        super().__init__(f"More than {MAX_FAMILIES:,} families match what was chosen. Choose fewer teams, local "
                         "authorities or months, and make more than one export.")


class NothingToExport(UserFixableError):
    pass


@dataclass(frozen=True)
class Criteria:
    """Which families (None: every team, every authority), which fields, and k."""

    first_month: date  # the first day of the first month of first contact
    last_month: date  # the first day of the last month
    fields: tuple[str, ...]
    k: int
    team_ids: tuple[int, ...] | None = None
    local_authority_ids: tuple[int, ...] | None = None
    status: str = ""  # "", or a Family.Status

    def after_last_month(self) -> date:
        month = self.last_month.month % 12 + 1
        return date(self.last_month.year + (month == 1), month, 1)


def _in_words(criteria: Criteria, team_names: list[str], authority_names: list[str]) -> str:
    period = (f"first supported from {_month(criteria.first_month)} to {_month(criteria.last_month)}"
              if criteria.first_month != criteria.last_month else f"first supported in {_month(criteria.first_month)}")
    return "; ".join([
        f"Teams: {', '.join(team_names) if criteria.team_ids is not None else 'all'}",
        f"Local authorities: {', '.join(authority_names) if criteria.local_authority_ids is not None else 'all'}",
        f"Status: {Family.Status(criteria.status).label.lower() if criteria.status else 'open or closed'}",
        period[:1].upper() + period[1:],
    ])[:2000]


def _families(criteria: Criteria):
    """The chosen families, anonymised ones included (their figures are kept for this), with when
    each first came to us."""
    first_call = (Contact.objects.filter(family=OuterRef("pk"), struck_at__isnull=True)
                  .order_by("occurred_at").values("occurred_at")[:1])
    families = Family.objects.order_by().annotate(
        first_contact_at=Least(Coalesce(Subquery(first_call), F("created_at")), F("created_at")),
    ).filter(
        first_contact_at__gte=datetime.combine(criteria.first_month, datetime.min.time(), tzinfo=LONDON),
        first_contact_at__lt=datetime.combine(criteria.after_last_month(), datetime.min.time(), tzinfo=LONDON),
    )
    if criteria.team_ids is not None:
        families = families.filter(team_id__in=criteria.team_ids)
    if criteria.local_authority_ids is not None:
        families = families.filter(local_authority_id__in=criteria.local_authority_ids)
    if criteria.status:
        families = families.filter(status=criteria.status)
    return families


def _count_of(queryset, outer="family"):
    counted = queryset.filter(**{outer: OuterRef("pk")}).order_by().values(outer).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _decision_in_words(made: datetime | None, decided: datetime | None, nation: str, status: str) -> str:
    if made is None:
        return "Date the referral was made not recorded"
    if decided is None:
        return "No decision yet" if status == Referral.Status.OPEN else "Closed without a decision"
    return _banded(max(0, working_days_between(made, decided, nation)), WORKING_DAY_BANDS)


def family_facts(criteria: Criteria) -> list[Facts]:
    """What may be said of each chosen family. A fixed number of queries: see the module's notes."""
    chosen = set(criteria.fields)
    families = _families(criteria)
    rows = families
    if "calls" in chosen:
        rows = rows.annotate(calls=_count_of(Contact.objects.filter(struck_at__isnull=True)))
    if "referrals" in chosen:
        rows = rows.annotate(referral_count=_count_of(Referral.objects.all()))
    rows = list(rows.values(
        "pk", "local_authority__name", "local_authority__nation", "team__name", "team__kind", "source", "status",
        "closure_reason", "closed_on", "first_contact_at", *(["calls"] if "calls" in chosen else []),
        *(["referral_count"] if "referrals" in chosen else []),
    )[:MAX_FAMILIES + 1])
    if len(rows) > MAX_FAMILIES:
        raise TooManyFamilies
    facts = {}
    for row in rows:
        facts[row["pk"]] = Facts(
            family_id=row["pk"], local_authority=row["local_authority__name"] or "",
            nation=row["local_authority__nation"] or "", team=row["team__name"], team_kind=row["team__kind"],
            source=row["source"], status=row["status"], closure_reason=row["closure_reason"],
            first_supported=timezone.localdate(row["first_contact_at"], LONDON), closed_on=row["closed_on"],
            calls=row.get("calls", 0), referrals=row.get("referral_count", 0),
        )
    if not facts:
        return []
    chosen_pks = families.values("pk")

    if chosen & {"age_bands", "children", "risk_level"}:
        children = Person.objects.filter(family__in=chosen_pks, kind=Person.Kind.CHILD).order_by()
        for family_id, born, risk in children.values_list("family_id", "date_of_birth", "risk_level"):
            family = facts[family_id]
            first = family.first_supported
            family.child_ages.append(
                None if born is None else first.year - born.year - ((first.month, first.day) < (born.month, born.day))
            )
            family.child_risks.append(risk)
    if "exploitation_types" in chosen:
        through = Person.exploitation_types.through.objects.filter(
            person__family__in=chosen_pks, person__kind=Person.Kind.CHILD,
        ).order_by()
        for family_id, name, position in through.values_list(
            "person__family_id", "exploitationtype__name", "exploitationtype__position",
        ):
            facts[family_id].exploitation_types[name] = position
    if "support_given" in chosen:
        given = Contact.support_given.through.objects.filter(
            contact__family__in=chosen_pks, contact__struck_at__isnull=True,
        ).order_by().values("contact__family_id", "supportcategory_id").annotate(calls=Count("contact_id"))
        for row in given:
            facts[row["contact__family_id"]].support[row["supportcategory_id"]] = row["calls"]
    if "referrals" in chosen:
        _add_first_decisions(facts, chosen_pks)
    if "outcomes" in chosen:
        _add_ratings(facts, chosen_pks)
    return list(facts.values())


def _add_first_decisions(facts: dict[int, Facts], chosen_pks) -> None:
    referrals: dict[int, dict] = defaultdict(dict)
    milestones = MilestoneRecord.objects.filter(
        referral__family__in=chosen_pks, milestone__in=[Milestone.REFERRAL_MADE, Milestone.DECISION],
    ).order_by().values_list("referral_id", "referral__family_id", "referral__local_authority__nation",
                             "referral__status", "milestone", "occurred_at")
    for referral_id, family_id, nation, status, milestone, occurred_at in milestones:
        referral = referrals[referral_id]
        referral.update(family_id=family_id, nation=nation, status=status)
        referral[milestone] = occurred_at
    # A family's first referral: the earliest made (by id where the dates are the same or not recorded).
    first: dict[int, dict] = {}
    for _, referral in sorted(referrals.items()):
        made = referral.get(Milestone.REFERRAL_MADE)
        earlier = first.get(referral["family_id"])
        earlier_made = earlier.get(Milestone.REFERRAL_MADE) if earlier else None
        if earlier is None or (made is not None and (earlier_made is None or made < earlier_made)):
            first[referral["family_id"]] = referral
    for family in facts.values():
        if family.referrals == 0:
            continue
        referral = first.get(family.family_id)
        family.first_referral_decision = _decision_in_words(
            referral.get(Milestone.REFERRAL_MADE), referral.get(Milestone.DECISION), referral["nation"],
            referral["status"],
        ) if referral else "Date the referral was made not recorded"


def _add_ratings(facts: dict[int, Facts], chosen_pks) -> None:
    measures = [measure.field for measure in MEASURES]
    check_ins = CheckIn.objects.filter(family__in=chosen_pks).order_by("family_id", "asked_on", "pk").values_list(
        "family_id", "parent_id", *measures,
    )
    parent_of: dict[int, int] = {}
    answers: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for family_id, parent_id, *scores in check_ins:
        if parent_of.setdefault(family_id, parent_id) != parent_id:
            continue
        for name, score in zip(measures, scores, strict=True):
            if score is not None:
                answers[family_id][name].append(score)
    for family_id, by_measure in answers.items():
        facts[family_id].ratings = {
            name: (scores[0], scores[-1] if len(scores) > 1 else None) for name, scores in by_measure.items()
        }


# ------------------------------------------------------------------ k-anonymity


@dataclass
class Anonymised:
    """The rows that may leave, and what was done to get there."""

    kept: list[tuple[Facts, list[int]]]  # each family exported, with its level for each quasi-identifier
    quasi_identifiers: list[QuasiIdentifier]
    left_out: int
    groups_generalised: int

    @property
    def rows_generalised(self) -> int:
        return sum(1 for _, levels in self.kept if any(levels))

    def shown(self, facts: Facts, levels: list[int]) -> tuple[str, ...]:
        return tuple(qi.levels[level](facts) for qi, level in zip(self.quasi_identifiers, levels, strict=True))

    def levels_used(self) -> list[tuple[QuasiIdentifier, Counter]]:
        """For each quasi-identifier: how many exported rows are at each level."""
        return [
            (qi, Counter(levels[index] for _, levels in self.kept))
            for index, qi in enumerate(self.quasi_identifiers)
        ]


def k_anonymise(all_facts: list[Facts], quasi_identifier_keys: list[str], k: int) -> Anonymised:
    """Make coarser, step by step along LADDER, the rows whose group (rows identical on the
    quasi-identifiers) has fewer than ``k`` families; leave out those still in one after the last
    step. With no quasi-identifier chosen, every row is in one group."""
    qis = [QUASI_IDENTIFIERS[key] for key in quasi_identifier_keys]
    levels = [[0] * len(qis) for _ in all_facts]

    def shown(index: int) -> tuple[str, ...]:
        return tuple(qi.levels[level](all_facts[index]) for qi, level in zip(qis, levels[index], strict=True))

    exact = [shown(index) for index in range(len(all_facts))]
    current = list(exact)

    def too_small() -> list[int]:
        sizes = Counter(current)
        return [index for index, key in enumerate(current) if sizes[key] < k]

    for step in LADDER:
        if step not in quasi_identifier_keys:
            continue
        failing = too_small()
        if not failing:
            break
        position = quasi_identifier_keys.index(step)
        for index in failing:
            if levels[index][position] + 1 < len(qis[position].levels):
                levels[index][position] += 1
                current[index] = shown(index)
    left_out = set(too_small())
    return Anonymised(
        kept=[(facts, levels[index]) for index, facts in enumerate(all_facts) if index not in left_out],
        quasi_identifiers=qis,
        left_out=len(left_out),
        groups_generalised=len({exact[index] for index in range(len(all_facts)) if any(levels[index])}),
    )


# ------------------------------------------------------------------ the export


@dataclass
class Made:
    """An export worked out, before it is recorded and sent."""

    criteria: Criteria
    chosen_by: str
    families_chosen: int
    anonymised: Anonymised
    header: list[str]
    rows: list[list]  # identifier first, in the identifiers' order
    exported_family_ids: list[int]
    made_at: datetime

    @property
    def rows_exported(self) -> int:
        return len(self.rows)

    def csv_text(self) -> str:
        out = io.StringIO()
        write_rows(out, self.header, self.rows)
        return out.getvalue()

    def readme_text(self) -> str:
        return readme_text(self)

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            # With a byte-order mark, a spreadsheet opens the dashes and accents as they are.
            archive.writestr("data.csv", self.csv_text().encode("utf-8-sig"))
            archive.writestr("README.txt", self.readme_text().encode("utf-8"))
        return buffer.getvalue()


def _random_identifiers(count: int) -> list[str]:
    identifiers: set[str] = set()
    while len(identifiers) < count:
        identifiers.add(secrets.token_hex(8))
    return list(identifiers)


def research_export_build(criteria: Criteria, *, now: datetime) -> Made:
    """The export of ``criteria`` as of ``now``: read, made coarser, with new identifiers. Writes
    nothing (research_export_record does), so its reads may come from a replica."""
    if criteria.k < settings.RESEARCH_EXPORT_K:
        raise UserFixableError(f"k cannot be below {settings.RESEARCH_EXPORT_K}.", field="k")
    fields = [f for f in FIELDS if f.key in criteria.fields]
    if not fields:
        raise UserFixableError("Choose at least one field.", field="fields")
    team_names = list(Team.objects.filter(pk__in=criteria.team_ids or ()).values_list("name", flat=True))
    authority_names = list(
        LocalAuthority.objects.filter(pk__in=criteria.local_authority_ids or ()).values_list("name", flat=True)
    )
    all_facts = family_facts(criteria)
    if not all_facts:
        raise NothingToExport("No families match what was chosen.")
    qi_keys = [f.quasi_identifier for f in fields if f.is_quasi_identifier]
    anonymised = k_anonymise(all_facts, qi_keys, criteria.k)
    if not anonymised.kept:
        raise NothingToExport(
            f"None of the {len(all_facts):,} families chosen could be exported without a group of fewer than "
            f"{criteria.k}: choose more families, or fewer of the fields that describe them (marked as "
            "describing a family)."
        )
    categories = {}
    if "support_given" in criteria.fields:
        categories = dict(SupportCategory.objects.values_list("pk", "name"))
    header = [IDENTIFIER_HEADER]
    getters: list[Callable[[Facts, list[int]], object]] = []
    for f in fields:
        if f.is_quasi_identifier:
            position = qi_keys.index(f.quasi_identifier)
            qi = QUASI_IDENTIFIERS[f.quasi_identifier]
            header.append(qi.header)
            getters.append(lambda facts, levels, qi=qi, position=position: qi.levels[levels[position]](facts))
        for column in f.columns(categories):
            header.append(column.header)
            getters.append(lambda facts, levels, column=column: column.value(facts))
    identifiers = _random_identifiers(len(anonymised.kept))
    rows = sorted(
        ([identifier, *(get(facts, levels) for get in getters)], facts.family_id)
        for identifier, (facts, levels) in zip(identifiers, anonymised.kept, strict=True)
    )
    return Made(
        criteria=criteria, chosen_by=_in_words(criteria, team_names, authority_names),
        families_chosen=len(all_facts), anonymised=anonymised, header=header,
        rows=[row for row, _ in rows], exported_family_ids=[family_id for _, family_id in rows], made_at=now,
    )


def research_export_record(made: Made, *, user) -> ResearchExport:
    """Record that ``user`` made the export: its row, an audit event, and one read (an export) in the
    history of each family exported (not the identifier it had), all in one transaction."""
    with transaction.atomic():
        export = ResearchExport.objects.create(
            made_by=user, made_at=made.made_at, fields=[f.key for f in FIELDS if f.key in made.criteria.fields],
            chosen_by=made.chosen_by, k=made.criteria.k, families_chosen=made.families_chosen,
            rows_exported=made.rows_exported, rows_left_out=made.anonymised.left_out,
            rows_generalised=made.anonymised.rows_generalised,
            groups_generalised=made.anonymised.groups_generalised,
        )
        audit.record_event(export, actor=user, event=EVENT, k=export.k, fields=export.fields,
                           families_chosen=export.families_chosen, rows_exported=export.rows_exported,
                           rows_left_out=export.rows_left_out, rows_generalised=export.rows_generalised)
        audit.record_reads([Family(pk=pk) for pk in made.exported_family_ids], kind=audit.Read.EXPORT,
                           what=READ_WHAT, actor=user)
    return export


# ------------------------------------------------------------------ the README


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def readme_text(made: Made) -> str:
    anonymised, k = made.anonymised, made.criteria.k
    local = timezone.localtime(made.made_at)
    lines = [
        "Anonymised research export",
        "==========================",
        "",
        f"Made on {dateformat.format(local, 'j F Y')}.",
        f"Families chosen: {made.chosen_by}.",
        "",
        f"{_plural(made.families_chosen, 'family', 'families')} matched. "
        f"{_plural(made.rows_exported, 'row')} exported (one per family) in data.csv; "
        f"{_plural(anonymised.left_out, 'family', 'families')} left out.",
        f"k = {k}: every combination of the columns that could describe a family (marked * below) is shared by "
        f"at least {k} families in the file.",
        f"{_plural(anonymised.rows_generalised, 'row')} (from "
        f"{_plural(anonymised.groups_generalised, 'group')} of fewer than {k} families) show some of those "
        "columns coarser than the rest: a quarter or a year for a month, a wider age band, a nation for a local "
        "authority. A family still in a group of fewer than "
        f"{k} after that was left out.",
        "",
        "What is not in this file: names, contact details, addresses, postcodes, references, anything written "
        "about anyone, and exact dates. Each family is under a random identifier made for this export only: "
        "it is not in our records and a family has a different one in any other export, so rows cannot be "
        "matched between exports. The rows are in the order of those identifiers.",
        "",
        "Columns",
        "-------",
        f"{IDENTIFIER_HEADER}",
    ]
    used = {qi.key: counts for qi, counts in anonymised.levels_used()}
    for f in FIELDS:
        if f.key not in made.criteria.fields:
            continue
        if f.is_quasi_identifier:
            qi = QUASI_IDENTIFIERS[f.quasi_identifier]
            lines.append(f"* {qi.header}: {f.description}")
            counts = used[qi.key]
            if len(qi.levels) > 1:
                shown = ", ".join(f"{_plural(counts[level], 'row')} by {name}"
                                  for level, name in enumerate(qi.level_names) if counts[level])
                lines.append(f"    Shown as: {shown}.")
        else:
            headers = ", ".join(column.header for column in f.columns({}))
            lines.append(f"  {f.label}{f' ({headers})' if headers and headers != f.label else ''}: {f.description}")
    lines += [
        "",
        "Please keep this file under the data-sharing agreement it was made for, do not try to find out who "
        "any family is, and do not link it with other data about the same people.",
        "",
    ]
    return "\n".join(lines)
