"""Writing CSV files that people open in a spreadsheet."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse


def safe_cell(value):
    """Text a spreadsheet would run as a formula (a leading =, +, -, @, tab or carriage return) is
    prefixed with an apostrophe: names and notes in exports are typed in by people, and a formula
    in one would run on the reader's machine."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_rows(out, header: Iterable, rows: Iterable[Iterable]) -> None:
    """The header, then the rows, as CSV into ``out`` (a text file, or a response), every cell
    through safe_cell."""
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])


def csv_download(filename: str, header: Iterable, rows: Iterable[Iterable]) -> HttpResponse:
    """A CSV file to save, not show: ``filename`` is what it is saved as (plain ASCII, no quotes).
    Never kept by the browser or a proxy, whatever the middleware does."""
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
    write_rows(response, header, rows)
    return response
