"""The family's copy of a safety plan: in plain words, for the family and for meetings.

One function decides what the copy holds (``family_copy``); the print page and the PDF both draw
that, so neither can show more than the other. The team's own notes (``internal_notes``) are never
in it, nor who recorded what.

The PDF is drawn with fpdf2. fpdf2 ships no font beyond the PDF core fonts, which cover Latin-1
only; a DejaVu Sans installed on the machine (Debian's fonts-dejavu-core) is used when present, so
every name prints as written. Without it, characters beyond Latin-1 are written as their nearest
plain letters ("’" as "'", "Ł" as "L") rather than refused.
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.utils import timezone
from django.utils.formats import date_format
from fpdf import FPDF

from safety_plans.models import Commitment
from safety_plans.selectors import latest_ratings

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
UNICODE_FONTS = [(_DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf")]


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

# Typographic marks the core fonts lack, and letters that do not decompose to a base letter.
_PLAIN = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"',
    "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "…": "...", "•": "-", "\u00a0": " ",
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Œ": "OE", "œ": "oe", "Ŀ": "L", "ŀ": "l", "ſ": "s",
})


def latin1(text: str) -> str:
    """``text`` in the core fonts' Latin-1: kept where it can be, else its plain letters, else "?"."""
    text = text.translate(_PLAIN)
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        try:
            out.append(plain.encode("latin-1").decode("latin-1") if plain else "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


class _CopyPDF(FPDF):
    def __init__(self, copy: FamilyCopy, fonts):
        super().__init__(format="A4")
        self.copy = copy
        if fonts:
            regular, bold = fonts
            self.add_font("body", "", str(regular))
            self.add_font("body", "B", str(bold))
            self.family_name, self.plain = "body", str
        else:
            self.family_name, self.plain = "helvetica", latin1
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)

    def footer(self):
        self.set_y(-12)
        self.set_font(self.family_name, "", 8)
        self.cell(0, 5, self.plain(f"{self.copy.title} · version {self.copy.version_number} · page {self.page_no()}"),
                  align="C")

    def write_text(self, text: str, *, size=11, style="", gap=1.5):
        self.set_font(self.family_name, style, size)
        self.multi_cell(0, size * 0.5, self.plain(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)


def _unicode_fonts():
    for regular, bold in UNICODE_FONTS:
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


def render_pdf(copy: FamilyCopy) -> bytes:
    pdf = _CopyPDF(copy, _unicode_fonts())
    pdf.set_title(pdf.plain(copy.title))
    pdf.set_lang("en-GB")
    pdf.set_creator("Pace Cases")
    pdf.add_page()
    pdf.write_text(copy.title, size=18, style="B", gap=2)
    details = [f"Version {copy.version_number}" + (f", saved {_day(copy.saved_on)}" if copy.saved_on else "")]
    if copy.review_on:
        details.append(f"We will look at this plan again by {_day(copy.review_on)}.")
    if copy.agreed_by:
        details.append(f"Agreed by {copy.agreed_by}" + (f" on {_day(copy.agreed_on)}." if copy.agreed_on else "."))
    details.append(f"Family reference {copy.family_reference}. Printed {_day(copy.printed_on)}.")
    for line in details:
        pdf.write_text(line, size=10, gap=0.5)
    pdf.ln(3)
    for section in copy.sections:
        pdf.write_text(section.title, size=13, style="B", gap=1)
        if section.text:
            pdf.write_text(section.text)
        for item in section.items:
            for label, text in item.lines:
                pdf.write_text(f"{label}: {text}", gap=0.3)
            pdf.ln(2)
        pdf.ln(2)
    return bytes(pdf.output())
