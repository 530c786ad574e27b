"""What every PDF the application makes shares: the font, the fallback to plain letters, the
page-numbered footer and a paragraph helper. Drawn with fpdf2.

fpdf2 ships no font beyond the PDF core fonts, which cover Latin-1 only; a DejaVu Sans installed on
the machine (Debian's fonts-dejavu-core) is used when present, so every name prints as written.
Without it, characters beyond Latin-1 are written as their nearest plain letters ("’" as "'", "Ł" as
"L") rather than refused.
"""

import unicodedata
from pathlib import Path

from fpdf import FPDF

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
UNICODE_FONTS = [(_DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf")]

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


def installed_fonts(candidates) -> tuple[Path, Path] | None:
    """The first (regular, bold) pair of ``candidates`` that is on this machine, or None."""
    for regular, bold in candidates:
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class DocumentPDF(FPDF):
    """An A4 document in the installed Unicode font (or the core font and plain letters), with
    ``footer_text`` and the page number at the foot of every page."""

    footer_text = ""

    def __init__(self, fonts, *, footer_text: str = ""):
        super().__init__(format="A4")
        if fonts:
            regular, bold = fonts
            self.add_font("body", "", str(regular))
            self.add_font("body", "B", str(bold))
            self.family_name, self.plain = "body", str
        else:
            self.family_name, self.plain = "helvetica", latin1
        self.footer_text = footer_text
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_lang("en-GB")
        self.set_creator("Pace Cases")

    def footer(self):
        self.set_y(-12)
        self.set_font(self.family_name, "", 8)
        self.cell(0, 5, self.plain(f"{self.footer_text} · page {self.page_no()} of {{nb}}"), align="C")

    def write_text(self, text: str, *, size=11, style="", gap=1.5):
        self.set_font(self.family_name, style, size)
        self.multi_cell(0, size * 0.5, self.plain(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)
