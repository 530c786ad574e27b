"""The outcome measures: what a parent is asked, word for word, and the scale they answer on.

The words are part of the measure: a figure is only comparable with another asked the same way, so
each check-in keeps the version of the questions it was asked with (``CheckIn.questions_version``),
and a change of wording is a new version here, never an edit of an old one.
"""

from dataclasses import dataclass

QUESTIONS_VERSION = 1

# 1 to 5, the same points for every measure: a short scale a parent can answer on the telephone.
SCALE = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Measure:
    field: str  # the CheckIn field holding the answer
    label: str  # the measure's name in reports: "Confidence to keep their child safe"
    question: str  # word for word, as it is asked
    points: tuple[str, str, str, str, str]  # what 1 to 5 mean, in the parent's words
    optional: bool = False  # asked only where it applies (support from children's social care)
    short: str = ""  # inside a sentence: "confidence 2 → 4"


MEASURES = (
    Measure(
        field="confidence",
        label="Confidence to keep their child safe",
        question="How confident do you feel that you can help keep your child safe?",
        points=("Not at all confident", "A little confident", "Fairly confident", "Confident", "Very confident"),
        short="confidence",
    ),
    Measure(
        field="understanding",
        label="Understanding of exploitation",
        question="How well do you feel you understand what is happening to your child, and how exploitation works?",
        points=("Not at all", "A little", "Fairly well", "Well", "Very well"),
        short="understanding",
    ),
    Measure(
        field="wellbeing",
        label="Wellbeing",
        question="How are you coping yourself at the moment?",
        points=("Not coping at all", "Struggling", "Getting by", "Coping well", "Coping very well"),
        short="wellbeing",
    ),
    Measure(
        field="csc_support",
        label="Support from children's social care",
        question="How supported do you feel by children's social care?",
        points=("Not at all supported", "A little supported", "Fairly supported", "Supported", "Very supported"),
        optional=True,
        short="support from children's social care",
    ),
)

MEASURE_FIELDS = tuple(measure.field for measure in MEASURES)


def measure(field: str) -> Measure:
    return next(m for m in MEASURES if m.field == field)


def point_in_words(field: str, score: int | None) -> str:
    """An answer as the parent gave it: "4 – Confident"; empty when not asked or not answered."""
    if score is None:
        return ""
    return f"{score} – {measure(field).points[score - 1]}"
