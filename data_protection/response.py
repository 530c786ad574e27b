"""The reply to a subject access request: everything gathered about the person (selectors.gather)
but the items withheld, each with its whole content in plain words.

``reply_for`` decides what the reply holds; the PDF (``render_pdf``) and the archive of JSON and CSV
(``render_archive``) both write that, so neither can hold more than the other. A withheld item is
left out of both: the reply says how many were withheld and under which exemptions, never what
they say, nor the administrator's notes on why.

What is written is what the person has a right to: the words recorded, with choices in words and
dates as people write them. Not the database's ids or versions, nor which member of staff typed
what (staff act for the charity, and their accounts are not the person's data).
"""

import io
import json
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from core import pdf
from core.audit import format_moment
from core.spreadsheets import write_rows
from data_protection.models import SubjectAccessRequest, SubjectAccessWithholding
from data_protection.selectors import SubjectAccessItem, gather
from families.models import Challenge, Consent, Contact, Person
from meetings.models import Meeting
from outcomes.measures import MEASURES, point_in_words
from outcomes.models import CheckIn
from referrals.models import Referral
from safety_plans.intelligence import platform_label
from safety_plans.models import Commitment, IntelligenceEntry, PersonOfConcern, PlanStep, SafetyPlan, Worry

# Named by the request's number, never by the person: file names end up in download lists and logs.
FILE_STEM = "subject-access-request-{number}"

EXPLANATION = (
    "Under data protection law (UK GDPR, Article 15) you have the right to a copy of the information we "
    "hold about you. This is that copy: each record we hold that is about you, with everything it says, "
    "in date order within each kind of record."
)
WITHHELD_EXPLANATION = (
    "The Data Protection Act 2018 allows some information to be left out of a reply, for example "
    "where it is about other people or where sharing it could put someone at risk. Anything left out "
    "is counted below with the reason, but what it says is not included."
)
NOTHING_WITHHELD = "Nothing we hold about you has been left out of this reply."


@dataclass(frozen=True)
class ReplyField:
    label: str
    value: str


@dataclass(frozen=True)
class ReplyItem:
    number: int
    kind: str
    date: date | None
    fields: tuple[ReplyField, ...]

    @property
    def date_text(self) -> str:
        return _day(self.date)


@dataclass(frozen=True)
class WithheldReason:
    reason: str
    count: int


@dataclass(frozen=True)
class Reply:
    request: SubjectAccessRequest
    charity: str
    about: str
    who_asked: str
    received_on: date
    produced_on: date
    items: list[ReplyItem]
    withheld_count: int
    withheld_reasons: list[WithheldReason]
    # The records the reply holds, and those it leaves out: for the audit trail.
    included_records: list
    withheld_records: list

    @property
    def title(self) -> str:
        return f"Subject access request {self.request.pk}: what we hold about {self.about}"

    @property
    def file_stem(self) -> str:
        return FILE_STEM.format(number=self.request.pk)

    @property
    def withheld_in_words(self) -> str:
        if not self.withheld_count:
            return NOTHING_WITHHELD
        items = "item was" if self.withheld_count == 1 else "items were"
        return f"{self.withheld_count} {items} left out of this reply."


# ------------------------------------------------------------------ each kind of record, in words


def _day(value: date | None) -> str:
    return date_format(value, "j F Y") if value else ""


def _moment(value: datetime | None) -> str:
    return format_moment(value) if value else ""


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _fields(*pairs) -> tuple[ReplyField, ...]:
    """The pairs whose value says something: an empty box is left out, as on a printed form."""
    return tuple(ReplyField(label, str(value).strip()) for label, value in pairs if value and str(value).strip())


def _names(rows) -> str:
    return ", ".join(str(row) for row in rows)


def _person(person: Person):
    pairs = [
        ("Name", person.full_name),
        ("Recorded as", person.get_kind_display()),
        ("Pronouns", person.pronouns),
        ("Phone", person.phone),
        ("E-mail", person.email),
    ]
    if person.is_child:
        pairs += [
            ("Date of birth", _day(person.date_of_birth)),
            ("School", person.school),
            ("Additional needs", person.additional_needs),
            ("Kinds of exploitation", _names(person.exploitation_types.all())),
            ("Risk level", person.get_risk_level_display()),
            ("Looked after by the local authority", _yes_no(person.looked_after)),
            ("Placed out of area", _yes_no(person.placed_out_of_area)),
        ]
    else:
        pairs += [("School", person.school), ("Additional needs", person.additional_needs)]
    return _fields(*pairs)


def _call(call: Contact):
    struck = call.is_struck and f"On {_day(timezone.localdate(call.struck_at))}: {call.struck_reason}"
    return _fields(
        ("When", _moment(call.occurred_at)),
        ("How", call.get_channel_display()),
        ("How long", f"{call.duration_minutes} minutes"),
        ("Who we spoke with", call.spoke_with.full_name if call.spoke_with_id else ""),
        ("What was discussed", call.summary),
        ("Support given", _names(call.support_given.all())),
        ("Struck through (recorded by mistake)", struck),
    )


def _referral(referral: Referral):
    milestones = [
        (record.get_milestone_display(), _moment(record.occurred_at) + (f". {record.note}" if record.note else ""))
        for record in referral.milestones.all()
    ]
    updates = [
        (f"Update from children's social care ({update.get_channel_display().lower()})",
         _day(update.received_on) + (f": {update.summary}" if update.summary else ""))
        for update in referral.parent_updates.all()
    ]
    return _fields(
        ("Local authority", referral.local_authority.name),
        ("Referred by", referral.get_referred_by_display()),
        ("What the referral is about", referral.summary),
        ("Children's social care reference", referral.csc_reference),
        ("Decision", referral.get_decision_display()),
        ("National Referral Mechanism", referral.get_nrm_status_display() if referral.nrm_status else ""),
        ("Channel", referral.get_channel_status_display() if referral.channel_status else ""),
        ("Status", referral.get_status_display()),
        *milestones,
        *updates,
    )


def _plan(plan: SafetyPlan):
    ratings = [
        (f"How safe things feel (0 to 10), rated by {rating.rated_by}",
         f"{rating.score} out of 10 on {_day(rating.rated_on)}" + (f": {rating.note}" if rating.note else ""))
        for rating in plan.ratings.all()
    ]
    return _fields(
        ("For", plan.child.full_name),
        ("What is working well", plan.what_is_working_well),
        ("People and places that help keep them safe", plan.protective_people_and_places),
        ("Friendship groups", plan.peer_groups),
        ("Places and times", plan.places_and_times),
        ("Apps and websites", plan.online_platforms),
        ("School", plan.school),
        ("Warning signs", plan.warning_signs),
        ("In the parent's own words", plan.parent_words),
        ("In the child's own words", plan.child_words),
        ("Emergency contacts", plan.emergency_contacts),
        ("Police reference numbers", plan.police_references),
        ("Notes for the team", plan.internal_notes),
        ("Review date", _day(plan.review_on)),
        ("Agreed by", plan.agreed_by),
        ("Agreed on", _day(plan.agreed_on)),
        *ratings,
    )


def _worry(worry: Worry):
    return _fields(
        ("Who is worried", worry.who_is_worried),
        ("What we are worried about", worry.worry),
        ("What could happen if nothing changes", worry.what_could_happen),
        ("The safety goal", worry.safety_goal),
    )


def _person_of_concern(row: PersonOfConcern):
    return _fields(
        ("Name or description", row.name_or_description),
        ("Vehicles", row.vehicles),
        ("Phone numbers", row.phone_numbers),
        ("Online accounts", row.online_handles),
        ("Notes", row.notes),
    )


def _step(step: PlanStep):
    return _fields(
        ("If this happens", step.if_this_happens),
        ("Then we do this", step.then_we_do),
        ("If the child goes missing", _yes_no(step.when_missing)),
    )


def _commitment(commitment: Commitment):
    return _fields(
        ("Who", commitment.who),
        ("What they commit to", commitment.commitment),
        ("Who makes sure it happens", commitment.owner),
        ("By when", _day(commitment.due_on)),
        ("Status", commitment.get_status_display()),
    )


def _intelligence(entry: IntelligenceEntry):
    return _fields(
        ("What it is about", entry.get_kind_display()),
        ("When it was seen", _moment(entry.observed_at)),
        ("What was seen or found", entry.description),
        ("Vehicle registration", entry.registration),
        ("Phone number", entry.phone),
        ("Platform", platform_label(entry.platform)),
        ("Online handle", entry.handle),
        ("Place", entry.place),
        ("Where it came from", entry.source),
        ("Passed to the police on", _day(entry.passed_to_police_on)),
        ("Officer or unit", entry.police_officer_or_unit),
        ("Police reference", entry.police_reference),
        ("What came of it", entry.outcome),
    )


def _action(action) -> str:
    """"Ring the school (Sam Lee, Police), by 3 March 2027. Done." """
    who = ", ".join(part for part in (action.owner_name, action.agency_label) if part)
    parts = [action.description + (f" ({who})" if who else ""),
             f"by {_day(action.due_on)}" if action.due_on else ""]
    text = ", ".join(part for part in parts if part) + f". {action.get_status_display()}."
    return text + (f" {action.dropped_reason}" if action.dropped_reason else "")


def _meeting(meeting: Meeting):
    actions = [("Action agreed", _action(action)) for action in meeting.actions.all()]
    return _fields(
        ("Meeting", meeting.get_kind_display()),
        ("When", _moment(meeting.held_at)),
        ("Agencies present", _names(meeting.agencies.all())),
        ("Others present", meeting.others_present),
        ("The parent was invited", _yes_no(meeting.parent_invited)),
        ("The parent attended", _yes_no(meeting.parent_attended)),
        ("The parent received the minutes", _yes_no(meeting.parent_received_minutes)),
        ("The parent says the minutes are accurate",
         meeting.get_minutes_accurate_display() if meeting.minutes_accurate else ""),
        ("The parent's correction, in their words", meeting.parent_correction),
        ("Notes", meeting.notes),
        *actions,
    )


def _consent(consent: Consent):
    return _fields(
        ("Consent", consent.get_kind_display()),
        ("Agency", consent.agency),
        ("Kind of agency", consent.get_agency_kind_display() if consent.agency_kind else ""),
        ("Given by", consent.given_by.full_name),
        ("Given on", _day(consent.given_on)),
        ("Withdrawn on", _day(consent.withdrawn_on)),
        ("Notes", consent.notes),
    )


def _challenge(challenge: Challenge):
    decided = not challenge.is_open
    return _fields(
        ("Raised by", challenge.raised_by.full_name),
        ("When we were told", _day(challenge.received_on)),
        ("What is wrong", challenge.what_is_wrong),
        ("What it should say", challenge.what_it_should_say),
        ("Outcome", challenge.get_outcome_display()),
        ("Why", challenge.reason if decided else ""),
        ("Decided on", _day(challenge.decided_on)),
    )


def _check_in(check_in: CheckIn):
    # Each question as it was asked, with the answer in the words of the scale.
    return _fields(
        ("Asked on", _day(check_in.asked_on)),
        ("When", check_in.get_occasion_display()),
        *((measure.question, point_in_words(measure.field, getattr(check_in, measure.field))) for measure in MEASURES),
    )


# Each kind of record gathered, and how its content is written. Every one reads only what
# selectors.gather loaded with it: the reply costs no query per item.
CONTENT = {
    Person: _person,
    Contact: _call,
    Referral: _referral,
    SafetyPlan: _plan,
    Worry: _worry,
    PersonOfConcern: _person_of_concern,
    PlanStep: _step,
    Commitment: _commitment,
    IntelligenceEntry: _intelligence,
    Meeting: _meeting,
    Consent: _consent,
    Challenge: _challenge,
    CheckIn: _check_in,
}


def item_fields(item: SubjectAccessItem) -> tuple[ReplyField, ...]:
    return CONTENT[type(item.record)](item.record)


def _withheld_reasons(withheld: list[SubjectAccessItem]) -> list[WithheldReason]:
    counts = Counter(item.withholding.reason for item in withheld)
    # In the order the exemptions are listed, so two replies read alike.
    return [WithheldReason(label, counts[value]) for value, label in SubjectAccessWithholding.Reason.choices
            if counts[value]]


def reply_for(request: SubjectAccessRequest, *, today: date | None = None) -> Reply:
    """What the reply to ``request`` holds: ``request`` comes from selectors.subject_access_request
    (its person loaded)."""
    gathered = gather(request)
    included = [item for item in gathered if item.withholding is None]
    withheld = [item for item in gathered if item.withholding is not None]
    return Reply(
        request=request,
        charity=settings.CHARITY_NAME,
        about=request.person.full_name,
        who_asked=request.who_asked,
        received_on=request.received_on,
        produced_on=today or timezone.localdate(),
        items=[ReplyItem(number=number, kind=item.kind, date=item.date, fields=item_fields(item))
               for number, item in enumerate(included, start=1)],
        withheld_count=len(withheld),
        withheld_reasons=_withheld_reasons(withheld),
        included_records=[item.record for item in included],
        withheld_records=[item.record for item in withheld],
    )


def _cover_lines(reply: Reply) -> list[str]:
    return [
        f"For: {reply.about}",
        f"Asked by: {reply.who_asked}",
        f"Received on: {_day(reply.received_on)}",
        f"Produced on: {_day(reply.produced_on)}",
        f"Records included: {len(reply.items)}",
    ]


# ------------------------------------------------------------------ the PDF


def render_pdf(reply: Reply) -> bytes:
    document = pdf.DocumentPDF(pdf.installed_fonts(pdf.UNICODE_FONTS),
                               footer_text=f"Subject access request {reply.request.pk}")
    document.set_title(document.plain(f"Subject access request {reply.request.pk}"))
    document.set_author(document.plain(reply.charity))
    document.add_page()
    document.write_text(reply.charity, size=10, gap=0.5)
    document.write_text(f"What we hold about {reply.about}", size=18, style="B", gap=2)
    for line in _cover_lines(reply):
        document.write_text(line, size=10, gap=0.5)
    document.ln(3)
    document.write_text("What this is", size=13, style="B", gap=1)
    document.write_text(EXPLANATION)
    document.write_text("What has been left out", size=13, style="B", gap=1)
    document.write_text(WITHHELD_EXPLANATION)
    document.write_text(reply.withheld_in_words)
    for reason in reply.withheld_reasons:
        document.write_text(f"{reason.reason}: {reason.count} item{'' if reason.count == 1 else 's'}", gap=0.5)
    document.write_text("Times are UK time.", size=10)
    document.add_page()
    document.write_text("The records", size=13, style="B", gap=2)
    if not reply.items:
        document.write_text("There are no records to include.")
    for item in reply.items:
        document.write_text(f"{item.number}. {item.kind}" + (f", {item.date_text}" if item.date else ""),
                            size=12, style="B", gap=1)
        for field in item.fields:
            document.write_text(field.label, size=9, style="B", gap=0.2)
            document.write_text(field.value, size=10, gap=1)
        document.ln(3)
    return bytes(document.output())


def response_pdf(request: SubjectAccessRequest) -> bytes:
    return render_pdf(reply_for(request))


# ------------------------------------------------------------------ the archive

CSV_HEADER = ["Item", "Kind", "Date", "Label", "Value"]

README = """\
{title}

This archive is the same reply as the PDF document, in a form a computer can read.

response.json  every record, with each thing it says as a label and a value, and how many
               records were left out and why.
response.csv   the same records as a spreadsheet: one row for each thing a record says, with
               the record's number, its kind and its date. It opens in Excel, LibreOffice or
               Numbers.

Received on {received_on}. Produced on {produced_on}. Times are UK time.

{withheld}
Anything left out is counted with its reason, but what it says is not included, in either
file or in the PDF.

{charity}
"""


def reply_json(reply: Reply) -> dict:
    return {
        "request": {
            "number": reply.request.pk,
            "about": reply.about,
            "asked_by": reply.who_asked,
            "received_on": _day(reply.received_on),
            "produced_on": _day(reply.produced_on),
            "from": reply.charity,
        },
        "items": [
            {"kind": item.kind, "date": item.date_text,
             "fields": [{"label": field.label, "value": field.value} for field in item.fields]}
            for item in reply.items
        ],
        "withheld": {
            "count": reply.withheld_count,
            "reasons": [{"reason": reason.reason, "count": reason.count} for reason in reply.withheld_reasons],
        },
    }


def reply_csv(reply: Reply) -> bytes:
    """UTF-8 with a byte order mark, so a spreadsheet reads names as written; every cell typed by a
    person is guarded against running as a formula (core.spreadsheets)."""
    out = io.StringIO()
    write_rows(out, CSV_HEADER, ([item.number, item.kind, item.date_text, field.label, field.value]
                                 for item in reply.items for field in item.fields))
    return out.getvalue().encode("utf-8-sig")


def render_archive(reply: Reply) -> bytes:
    readme = README.format(
        title=reply.title, received_on=_day(reply.received_on), produced_on=_day(reply.produced_on),
        withheld="\n".join([reply.withheld_in_words, *(f"  {reason.reason}: {reason.count}"
                                                        for reason in reply.withheld_reasons)]),
        charity=reply.charity,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("response.json", json.dumps(reply_json(reply), ensure_ascii=False, indent=2).encode())
        archive.writestr("response.csv", reply_csv(reply))
        archive.writestr("README.txt", readme.encode())
    return buffer.getvalue()


def response_archive(request: SubjectAccessRequest) -> bytes:
    return render_archive(reply_for(request))
