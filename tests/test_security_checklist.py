"""SECURITY.md's ASVS checklist stays true: its rows are well formed, and every test, setting and file it
names as evidence exists."""

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
CHECKLIST = ROOT / "SECURITY.md"
STATUSES = {"Met", "Partly", "Not yet", "Not applicable"}
LEVELS = {"1", "2"}

CHAPTER_HEADING = re.compile(r"### V(\d+) \S")
REQUIREMENT_ID = re.compile(r"V([1-9]\d*)\.([1-9]\d*)\.([1-9]\d*)")
TEST_REFERENCE = re.compile(r"(tests/[\w/]+\.py)(?:::(\w+(?:::\w+)?))?")
SETTING = re.compile(r"settings\.([A-Z][A-Z0-9_]*)")
BACKTICKED = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Row:
    line: int
    chapter: int | None
    cells: tuple[str, ...]

    @property
    def id(self):
        return self.cells[0]

    @property
    def evidence(self):
        return self.cells[-1]


def checklist_rows():
    """The rows of the tables under "## Checklist", each with the chapter heading it sits under."""
    rows, chapter, in_checklist = [], None, False
    for number, line in enumerate(CHECKLIST.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("## "):
            in_checklist = line == "## Checklist"
            continue
        if not in_checklist:
            continue
        if heading := CHAPTER_HEADING.match(line):
            chapter = int(heading.group(1))
        elif line.startswith("|"):
            cells = tuple(cell.strip() for cell in line.strip().strip("|").split("|"))
            if cells[0] == "Id" or set(cells[0]) <= {"-", " "}:
                continue  # a table's header or its separator
            rows.append(Row(line=number, chapter=chapter, cells=cells))
    return rows


ROWS = checklist_rows()
EVIDENCE = sorted({name for row in ROWS for name in BACKTICKED.findall(row.evidence)})


@functools.cache
def names_defined_in(path):
    """Functions at module level, and methods of module-level classes as ``Class::method``."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    functions = ast.FunctionDef | ast.AsyncFunctionDef
    names = set()
    for node in tree.body:
        if isinstance(node, functions):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{item.name}" for item in node.body if isinstance(item, functions))
    return names


def test_every_chapter_of_asvs_has_its_table():
    assert sorted({row.chapter for row in ROWS}) == list(range(1, 18))


def test_every_row_has_an_id_what_it_asks_a_level_a_status_and_evidence():
    for row in ROWS:
        assert len(row.cells) == 5, f"line {row.line}: {len(row.cells)} cells, not 5"
        _, asks, level, status, evidence = row.cells
        assert asks, f"line {row.line}: says nothing of what {row.id} asks"
        assert level in LEVELS, f"line {row.line}: level {level!r}"
        assert status in STATUSES, f"line {row.line}: status {status!r}"
        assert evidence, f"line {row.line}: {row.id} has no evidence or reason"


def test_ids_are_well_formed_unique_in_their_chapter_and_in_order():
    numbers = []
    for row in ROWS:
        match = REQUIREMENT_ID.fullmatch(row.id)
        assert match, f"line {row.line}: {row.id!r} is not an id like V6.2.1"
        number = tuple(int(part) for part in match.groups())
        assert number[0] == row.chapter, f"line {row.line}: {row.id} is under the heading of V{row.chapter}"
        numbers.append(number)
    assert len(set(numbers)) == len(numbers), "an id is listed twice"
    assert numbers == sorted(numbers), "the ids are not in the standard's order"


def test_the_level_3_access_logging_is_in_the_list():
    assert [row.cells[3] for row in ROWS if row.id == "V16.3.2"] == ["Met"]


def test_the_evidence_names_something():
    assert any(TEST_REFERENCE.fullmatch(name) for name in EVIDENCE)
    assert any(SETTING.fullmatch(name) for name in EVIDENCE)


@pytest.mark.parametrize("name", EVIDENCE)
def test_each_name_in_the_evidence_is_a_test_a_setting_or_a_file_that_exists(name):
    if reference := TEST_REFERENCE.fullmatch(name):
        path, test = reference.groups()
        assert (ROOT / path).is_file(), f"{path} does not exist"
        assert test is not None, f"{name}: name the test (path::test_name)"
        assert test.rsplit("::", 1)[-1].startswith("test"), f"{name} is not a test"
        assert test in names_defined_in(path), f"{path} has no {test}"
    elif setting := SETTING.fullmatch(name):
        assert hasattr(settings, setting.group(1)), f"{name} is not a setting"
    else:
        assert not name.startswith("tests/"), f"{name}: a test is named as tests/<file>.py::test_name"
        assert " " not in name and (ROOT / name).exists(), (
            f"{name!r} is neither a test, a setting (settings.NAME) nor a file of the repository"
        )
