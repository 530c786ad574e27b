"""What a safety plan's version holds, and the differences between two versions, in words.

A version's content is plain JSON (see ``services.plan_content``): ``{"text": {part: value},
"worries": [row, ...], "people_of_concern": [...], "steps": [...], "commitments": [...]}``, each
row with its ``id``. Everything here is a pure function of two such snapshots: no queries, so a
comparison reads the same today as on the day the versions were saved.
"""

import difflib
import re
from dataclasses import dataclass, field
from datetime import date

from django.utils.formats import date_format
from django.utils.text import capfirst

from safety_plans.models import Commitment, PersonOfConcern, PlanStep, SafetyPlan, Worry

# The text parts, in the order the plan reads.
TEXT_PARTS = [
    "what_is_working_well",
    "protective_people_and_places",
    "peer_groups",
    "places_and_times",
    "online_platforms",
    "school",
    "warning_signs",
    "parent_words",
    "child_words",
    "emergency_contacts",
    "police_references",
    "review_on",
    "agreed_by",
    "agreed_on",
    "internal_notes",
]
DATE_PARTS = {"review_on", "agreed_on"}


@dataclass(frozen=True)
class ListLayout:
    key: str  # in the content, and the related name on SafetyPlan
    model: type
    title: str
    noun: str  # "a worry": for "Added a worry"
    fields: tuple[str, ...]
    summary_field: str  # what names a row in a sentence


LISTS = [
    ListLayout("worries", Worry, "What we are worried about", "a worry",
               ("who_is_worried", "worry", "what_could_happen", "safety_goal"), "worry"),
    ListLayout("people_of_concern", PersonOfConcern, "People of concern", "a person of concern",
               ("name_or_description", "vehicles", "phone_numbers", "online_handles", "notes"),
               "name_or_description"),
    ListLayout("steps", PlanStep, "If this happens, then we do that", "a step",
               ("if_this_happens", "then_we_do", "when_missing"), "if_this_happens"),
    ListLayout("commitments", Commitment, "The safety network", "a commitment",
               ("who", "commitment", "owner", "due_on", "status"), "commitment"),
]
LIST_BY_KEY = {layout.key: layout for layout in LISTS}
LIST_BY_MODEL = {layout.model: layout for layout in LISTS}

TEXT_TITLE = "The plan's words"
_WORD = {"added": "Added", "removed": "Removed", "changed": "Changed"}
_WORDS = re.compile(r"\s+|[^\s]+")


def label_of(model, name: str) -> str:
    return capfirst(model._meta.get_field(name).verbose_name)


def value_in_words(model, name: str, value) -> str:
    """A stored value as people read it: a date in words, a choice by its label, yes or no."""
    if value is None or value == "":
        return ""
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if model_field.get_internal_type() == "DateField":
        return date_format(date.fromisoformat(value), "j F Y")
    return str(value)


def row_summary(layout: ListLayout, row: dict, length: int = 60) -> str:
    text = " ".join(str(row.get(layout.summary_field) or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _short(text: str, length: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


@dataclass(frozen=True)
class Segment:
    """A run of words that was kept, added or removed."""

    kind: str  # "same", "added", "removed"
    text: str


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str
    segments: tuple[Segment, ...] = ()

    is_row = False

    @property
    def kind(self) -> str:
        if not self.before:
            return "added"
        if not self.after:
            return "removed"
        return "changed"

    @property
    def word(self) -> str:
        if self.kind == "changed":
            return f"Changed from “{_short(self.before)}” to “{_short(self.after)}”"
        return _WORD[self.kind]


@dataclass(frozen=True)
class RowChange:
    kind: str  # "added", "removed", "changed"
    summary: str
    fields: tuple[FieldChange, ...]
    is_row = True

    @property
    def word(self) -> str:
        return _WORD[self.kind]


@dataclass
class SectionDiff:
    title: str
    changes: list = field(default_factory=list)  # FieldChange for the text, RowChange for a list

    def __bool__(self):
        return bool(self.changes)


def word_segments(before: str, after: str) -> tuple[Segment, ...]:
    """``before`` turned into ``after`` word by word, so a one-word change in a long paragraph
    is marked on that word alone."""
    old, new = _WORDS.findall(before), _WORDS.findall(after)
    segments = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(Segment("same", "".join(old[i1:i2])))
            continue
        if op in ("replace", "delete"):
            segments.append(Segment("removed", "".join(old[i1:i2])))
        if op in ("replace", "insert"):
            segments.append(Segment("added", "".join(new[j1:j2])))
    return tuple(segments)


def _field_change(model, name, before, after) -> FieldChange | None:
    if (before or None) == (after or None):
        return None
    before_words, after_words = value_in_words(model, name, before), value_in_words(model, name, after)
    segments = word_segments(before_words, after_words) if before_words and after_words else ()
    return FieldChange(label_of(model, name), before_words, after_words, segments)


def _row_fields(layout: ListLayout, before: dict, after: dict) -> tuple[FieldChange, ...]:
    changes = (_field_change(layout.model, name, before.get(name), after.get(name)) for name in layout.fields)
    return tuple(change for change in changes if change is not None)


def _same_row(layout, a: dict, b: dict) -> bool:
    return all((a.get(name) or None) == (b.get(name) or None) for name in layout.fields)


def _list_diff(layout: ListLayout, old_rows: list, new_rows: list) -> SectionDiff:
    """Rows are matched by id; a row removed and the same words added again (as a restore does
    when the row's id was taken) is no change."""
    section = SectionDiff(layout.title)
    old_by_id = {row.get("id"): row for row in old_rows}
    new_ids = {row.get("id") for row in new_rows}
    removed = [row for row in old_rows if row.get("id") not in new_ids]
    added = []
    for row in new_rows:
        before = old_by_id.get(row.get("id"))
        if before is None:
            twin = next((old for old in removed if _same_row(layout, old, row)), None)
            if twin is not None:
                removed.remove(twin)
            else:
                added.append(row)
            continue
        fields = _row_fields(layout, before, row)
        if fields:
            section.changes.append(RowChange("changed", row_summary(layout, before), fields))
    for row in added:
        section.changes.append(RowChange("added", row_summary(layout, row), _row_fields(layout, {}, row)))
    for row in removed:
        section.changes.append(RowChange("removed", row_summary(layout, row), _row_fields(layout, row, {})))
    return section


def compare(old: dict, new: dict) -> list[SectionDiff]:
    """The differences from snapshot ``old`` to snapshot ``new``, section by section; only the
    sections with a difference."""
    old_text, new_text = old.get("text", {}), new.get("text", {})
    text = SectionDiff(TEXT_TITLE)
    for name in TEXT_PARTS:
        change = _field_change(SafetyPlan, name, old_text.get(name), new_text.get(name))
        if change is not None:
            text.changes.append(change)
    sections = [text] + [_list_diff(layout, old.get(layout.key, []), new.get(layout.key, [])) for layout in LISTS]
    return [section for section in sections if section]


def changed_text_parts(old: dict, new: dict) -> set[str]:
    old_text, new_text = old.get("text", {}), new.get("text", {})
    return {name for name in TEXT_PARTS if (old_text.get(name) or None) != (new_text.get(name) or None)}


def summarise(old: dict, new: dict) -> str:
    """A short "what changed" for a save whose author did not write one."""
    parts = [label_of(SafetyPlan, name).lower() for name in TEXT_PARTS if name in changed_text_parts(old, new)]
    lists = [section.title.lower() for section in compare(old, new) if section.title != TEXT_TITLE]
    named = parts + lists
    if not named:
        return "No change"
    if len(named) > 3:
        return f"Changed {len(named)} parts of the plan"
    if len(named) == 1:
        return capfirst(f"changed {named[0]}")
    return capfirst(f"changed {', '.join(named[:-1])} and {named[-1]}")


def same_content(old: dict, new: dict) -> bool:
    return not compare(old, new)
