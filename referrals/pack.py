"""The chronology pack: what happened to a family over a chosen period, from its timeline, for a
complaint or an escalation letter to children's social care. It names the charity, the family's
references, who prepared it and when; each deadline children's social care was held to comes with
where its time allowed comes from (statutory guidance or a local agreement) and how late it was.

``chronology_pack`` decides what the pack holds; the print page and the PDF both draw that, so
neither can show more than the other.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from core import pdf
from core.audit import format_moment
from deadlines.models import Deadline, due_day, due_state
from families import timeline
from families.timeline_forms import TimelineQuery
from referrals import deadline_kinds
from referrals.models import Escalation, MilestoneRecord, Referral, ThresholdRule

# A pack holds at most this many entries (the newest of the period, when there are more).
PACK_LIMIT = 2000
# The timeline kinds that bear on the deadlines: with any of them chosen, the pack lists those.
DEADLINE_KINDS = {"referral", "flag", "escalation"}

_STATUTORY = ThresholdRule.Basis.STATUTORY.label
_LOCAL = ThresholdRule.Basis.LOCAL.label
# Where the time to answer each escalation comes from (the allowances are referrals.rules').
_COMPLAINTS = "Children Act 1989 Representations Procedure (England) Regulations 2006"
ESCALATION_SOURCES = {
    Escalation.Kind.COMPLAINT_1: (_STATUTORY, f"{_COMPLAINTS}, stage 1"),
    Escalation.Kind.COMPLAINT_2: (_STATUTORY, f"{_COMPLAINTS}, stage 2"),
    Escalation.Kind.COMPLAINT_3: (_STATUTORY, f"{_COMPLAINTS}, stage 3"),
    Escalation.Kind.LETTER: (_LOCAL, "No statutory figure: the same time as a stage 1 complaint"),
}


@dataclass(frozen=True)
class PackHeader:
    charity: str
    family_reference: str
    # "Birmingham children's social care reference 123/45", one per referral.
    csc_references: list[str]
    prepared_by: str
    prepared_at: datetime
    period: str
    kinds: str

    @property
    def prepared(self) -> str:
        return f"Prepared by {self.prepared_by} on {format_moment(self.prepared_at)}"


@dataclass(frozen=True)
class PackDeadline:
    label: str
    authority: str
    allowance: str
    due_on: object  # the London day it was due by
    outcome: str  # "Happened on …", "Not done yet"
    lateness: str  # "3 working days late", "On time"
    is_late: bool
    basis: str  # "Statutory guidance", "Local practice", or "Not known"
    source: str


@dataclass
class ChronologyPack:
    header: PackHeader
    entries: list  # oldest first
    deadlines: list[PackDeadline]
    # More entries than PACK_LIMIT in the period: the oldest are left out.
    truncated: bool


def csc_references(referrals) -> list[str]:
    return [
        f"{r.local_authority} children's social care reference {r.csc_reference or 'not recorded'}"
        for r in referrals
    ]


def pack_header(family, user, *, referrals, period: str, kinds: str, now: datetime | None = None) -> PackHeader:
    return PackHeader(
        charity=settings.CHARITY_NAME,
        family_reference=family.reference,
        csc_references=csc_references(referrals),
        prepared_by=str(user),
        prepared_at=now or timezone.now(),
        period=period,
        kinds=kinds,
    )


def _entries(family, user, query: TimelineQuery) -> tuple[list, bool]:
    """The period's entries, oldest first, read a page at a time (a fixed number of queries a page)."""
    entries, cursor = [], query.before
    while True:
        page = timeline.timeline_for(family, user, kinds=query.kinds, since=query.since, before=cursor,
                                     limit=timeline.MAX_LIMIT)
        entries += page.entries
        if page.older is None or len(entries) >= PACK_LIMIT:
            return entries[:PACK_LIMIT][::-1], page.older is not None
        cursor = page.older


def _lateness(deadline, now) -> tuple[str, str, bool]:
    if deadline.met_at:
        outcome = f"Happened {date_format(timezone.localtime(deadline.met_at), 'l j F Y')}"
        if deadline.met_at <= deadline.due_at:
            return outcome, "On time", False
        late = due_state(deadline.due_at, deadline.nation, deadline.met_at)
        return outcome, f"{late.days_text} late" if late.working_days else "Late, on the day it was due", True
    if deadline.cancelled_at:
        return "No longer applied", "", False
    if now > deadline.due_at:
        late = due_state(deadline.due_at, deadline.nation, now)
        return "Not done yet", f"{late.days_text} overdue" if late.working_days else "Overdue", True
    return "Not due yet", "", False


def _rule_for(deadline, started: dict, rules: list[ThresholdRule]) -> ThresholdRule | None:
    """The rule that ran a referral deadline's clock: to its milestone, from a milestone of the same
    referral that happened at the moment the clock started, the authority's own before the default."""
    to_milestone = deadline_kinds.milestone_of(deadline.kind)
    froms = started.get((deadline.subject_id, deadline.started_at), set())
    matching = [r for r in rules if r.to_milestone == to_milestone and r.from_milestone in froms]
    own = [r for r in matching if r.local_authority_id == deadline.local_authority_id]
    default = [r for r in matching if r.local_authority_id is None]
    return (own or default or [None])[0]


def pack_deadlines(family, query: TimelineQuery, now: datetime) -> list[PackDeadline]:
    """The deadlines children's social care was held to that fell due in the period, in order:
    four queries whatever their number."""
    deadlines = Deadline.objects.filter(family=family).filter(
        Q(kind__startswith="referral:") | Q(kind=deadline_kinds.ESCALATION_RESPONSE)
    )
    # due_at is the first moment after the day it is due by: a day in the period is due_at after
    # the period's start and up to its end.
    if query.since:
        deadlines = deadlines.filter(due_at__gt=query.since)
    if query.before:
        deadlines = deadlines.filter(due_at__lte=query.before.when)
    deadlines = list(deadlines.select_related("local_authority").order_by("due_at", "pk"))
    referral_type = ContentType.objects.get_for_model(Referral)
    on_referrals = [d for d in deadlines if d.subject_type_id == referral_type.pk]
    started: dict = {}
    rules: list = []
    if on_referrals:
        for record in MilestoneRecord.objects.filter(referral_id__in={d.subject_id for d in on_referrals}).only(
            "referral_id", "occurred_at", "milestone"
        ):
            started.setdefault((record.referral_id, record.occurred_at), set()).add(record.milestone)
        rules = list(ThresholdRule.objects.filter(
            Q(local_authority__isnull=True) | Q(local_authority_id__in={d.local_authority_id for d in on_referrals}),
            to_milestone__in={deadline_kinds.milestone_of(d.kind) for d in on_referrals},
        ))
    escalation_kinds = dict(
        Escalation.objects.filter(
            pk__in=[d.subject_id for d in deadlines if d.kind == deadline_kinds.ESCALATION_RESPONSE]
        ).values_list("pk", "kind")
    ) if len(on_referrals) < len(deadlines) else {}
    rows = []
    for deadline in deadlines:
        if deadline.kind == deadline_kinds.ESCALATION_RESPONSE:
            basis, source = ESCALATION_SOURCES.get(escalation_kinds.get(deadline.subject_id), ("Not known", ""))
        else:
            rule = _rule_for(deadline, started, rules)
            if rule is None:
                basis, source = "Not known", "The rule that set this clock has since been removed."
            else:
                basis, source = rule.get_basis_display(), rule.source
                if str(rule.allowance) != deadline.allowance:
                    source += f" (it allows {rule.allowance} now)"
        outcome, lateness, is_late = _lateness(deadline, now)
        rows.append(PackDeadline(
            label=deadline.label, authority=str(deadline.local_authority or ""), allowance=deadline.allowance,
            due_on=due_day(deadline.due_at), outcome=outcome, lateness=lateness, is_late=is_late,
            basis=basis, source=source,
        ))
    return rows


def chronology_pack(family, user, query: TimelineQuery, *, now: datetime | None = None) -> ChronologyPack:
    now = now or timezone.now()
    referrals = list(family.referrals.select_related("local_authority").order_by("created_at", "pk"))
    entries, truncated = _entries(family, user, query)
    wants_deadlines = query.kinds is None or bool(DEADLINE_KINDS & set(query.kinds))
    return ChronologyPack(
        header=pack_header(family, user, referrals=referrals, period=query.period_text, kinds=query.kinds_text,
                           now=now),
        entries=entries,
        deadlines=pack_deadlines(family, query, now) if wants_deadlines else [],
        truncated=truncated,
    )


# --------------------------------------------------------------- the PDF


def moment_text(entry) -> str:
    local = timezone.localtime(entry.when)
    return date_format(local, "l j F Y") if entry.day_only else format_moment(entry.when)


def render_pdf(pack: ChronologyPack) -> bytes:
    header = pack.header
    document = pdf.DocumentPDF(pdf.installed_fonts(pdf.UNICODE_FONTS),
                               footer_text=f"Chronology for family {header.family_reference}")
    document.set_title(document.plain(f"Chronology for family {header.family_reference}"))
    document.set_author(document.plain(header.charity))
    document.add_page()
    document.write_text(header.charity, size=10, gap=0.5)
    document.write_text(f"Chronology for family {header.family_reference}", size=18, style="B", gap=2)
    for line in [*header.csc_references, f"Period: {header.period}", f"Includes: {header.kinds}",
                 f"{header.prepared}.", "Times are UK time. Working days exclude weekends and bank holidays."]:
        document.write_text(line, size=10, gap=0.5)
    document.ln(3)
    document.write_text("What happened", size=13, style="B", gap=1)
    if pack.truncated:
        document.write_text(f"Only the latest {PACK_LIMIT} entries of the period are included.", size=10)
    for entry in pack.entries:
        document.write_text(moment_text(entry), size=9, gap=0.2)
        document.write_text(entry.title, size=11, style="B", gap=0.3)
        if entry.detail:
            document.write_text(entry.detail, size=10, gap=0.3)
        document.ln(2)
    if not pack.entries:
        document.write_text("Nothing recorded in this period.")
    if pack.deadlines:
        document.ln(2)
        document.write_text("What children's social care had to do, and by when", size=13, style="B", gap=1)
        for row in pack.deadlines:
            document.write_text(f"{row.label}{f' ({row.authority})' if row.authority else ''}", style="B", gap=0.3)
            lines = [
                f"Due by {date_format(row.due_on, 'l j F Y')}. Time allowed: {row.allowance}.",
                f"Where the time allowed comes from: {row.basis}" + (f": {row.source}" if row.source else "."),
                f"{row.outcome}" + (f": {row.lateness}." if row.lateness else "."),
            ]
            for line in lines:
                document.write_text(line, size=10, gap=0.3)
            document.ln(2)
    return bytes(document.output())
