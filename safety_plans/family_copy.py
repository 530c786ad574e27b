"""The family's copy of a safety plan: in plain words, for the family and for meetings.

One function decides what the copy holds (``family_copy``); the print page and the PDF both draw
that, so neither can show more than the other. The team's own notes (``internal_notes``) are never
in it, nor who recorded what.

The PDF is drawn with core.pdf (its font, and plain letters when no Unicode font is installed).
"""

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.formats import date_format

from core import pdf
from core.pdf import UNICODE_FONTS, latin1  # noqa: F401 - the names this module has always offered
from safety_plans.models import Commitment
from safety_plans.selectors import latest_ratings


@dataclass(frozen=True)
class CopyItem:
    """One row of a list: a few labelled lines."""

    lines: tuple[tuple[str, str], ...]


@dataclass
class CopySection:
    title: str
    text: str = ""
    items: list[CopyItem] = field(default_factory=list)
    anchor: str = ""


@dataclass
class FamilyCopy:
    title: str
    child_name: str
    family_reference: str
    version_number: int
    saved_on: date | None
    review_on: date | None
    agreed_by: str
    agreed_on: date | None
    sections: list[CopySection]
    printed_on: date


def _day(value: date | None) -> str:
    return date_format(value, "j F Y") if value else ""


def _item(*lines) -> CopyItem:
    return CopyItem(tuple((label, text) for label, text in lines if text))


def family_copy(plan, *, latest=None) -> FamilyCopy:
    """What the family's copy says. ``plan`` comes with its lists and ratings prefetched
    (selectors.plan_for_child); nothing here queries the database."""
    name = plan.child.first_name
    sections = [
        CopySection("What we are worried about", items=[
            _item(("Who is worried", w.who_is_worried), ("What we are worried about", w.worry),
                  ("What could happen if nothing changes", w.what_could_happen), ("Our safety goal", w.safety_goal))
            for w in plan.worries.all()
        ]),
        CopySection("What is working well", text=plan.what_is_working_well),
        CopySection(f"People and places that help keep {name} safe", text=plan.protective_people_and_places),
        CopySection("People we are worried about", items=[
            _item(("Name or description", p.name_or_description), ("Vehicles", p.vehicles),
                  ("Phone numbers", p.phone_numbers), ("Online accounts", p.online_handles), ("Notes", p.notes))
            for p in plan.people_of_concern.all()
        ]),
        CopySection("Friendship groups", text=plan.peer_groups),
        CopySection("Places and times", text=plan.places_and_times),
        CopySection("Apps and websites", text=plan.online_platforms),
        CopySection("School", text=plan.school),
        CopySection("Warning signs", text=plan.warning_signs),
        CopySection("If this happens, then we do that", items=[
            _item(("If this happens", s.if_this_happens + (f" (if {name} goes missing)" if s.when_missing else "")),
                  ("Then we do this", s.then_we_do))
            for s in plan.steps.all()
        ]),
        CopySection("Who will do what (the safety network)", anchor="network", items=[
            _item(("Who", c.who), ("What they will do", c.commitment), ("Who makes sure it happens", c.owner),
                  ("By when", _day(c.due_on)), ("Done yet?", c.get_status_display()
                                                if c.status != Commitment.Status.OPEN else "Not yet"))
            for c in plan.commitments.all() if c.status != Commitment.Status.DROPPED
        ]),
        CopySection("How safe things feel now (0 to 10)", items=[
            _item(("Who", r.rated_by), ("Rating", f"{r.score} out of 10"), ("On", _day(r.rated_on)),
                  ("Why", r.note))
            for r in latest_ratings(plan.ratings.all())
        ]),
        CopySection("In the parent's own words", text=plan.parent_words),
        CopySection(f"In {name}'s own words", text=plan.child_words),
        CopySection("Emergency contacts", text=plan.emergency_contacts),
        CopySection("Police reference numbers", text=plan.police_references),
    ]
    return FamilyCopy(
        title=f"{name}'s safety plan",
        child_name=name,
        family_reference=plan.family.reference,
        version_number=plan.version,
        saved_on=timezone.localdate(latest.saved_at) if latest else None,
        review_on=plan.review_on,
        agreed_by=plan.agreed_by,
        agreed_on=plan.agreed_on,
        sections=[section for section in sections if section.text or section.items],
        printed_on=timezone.localdate(),
    )


# --------------------------------------------------------------- the PDF


def _unicode_fonts():
    return pdf.installed_fonts(UNICODE_FONTS)


def render_pdf(copy: FamilyCopy) -> bytes:
    document = pdf.DocumentPDF(_unicode_fonts(), footer_text=f"{copy.title} · version {copy.version_number}")
    document.set_title(document.plain(copy.title))
    document.add_page()
    document.write_text(copy.title, size=18, style="B", gap=2)
    details = [f"Version {copy.version_number}" + (f", saved {_day(copy.saved_on)}" if copy.saved_on else "")]
    if copy.review_on:
        details.append(f"We will look at this plan again by {_day(copy.review_on)}.")
    if copy.agreed_by:
        details.append(f"Agreed by {copy.agreed_by}" + (f" on {_day(copy.agreed_on)}." if copy.agreed_on else "."))
    details.append(f"Family reference {copy.family_reference}. Printed {_day(copy.printed_on)}.")
    for line in details:
        document.write_text(line, size=10, gap=0.5)
    document.ln(3)
    for section in copy.sections:
        document.write_text(section.title, size=13, style="B", gap=1)
        if section.text:
            document.write_text(section.text)
        for item in section.items:
            for label, text in item.lines:
                document.write_text(f"{label}: {text}", gap=0.3)
            document.ln(2)
        document.ln(2)
    return bytes(document.output())
