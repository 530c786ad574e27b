"""Writing CSV files that people open in a spreadsheet."""

import contextvars
import csv
import io
from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse

STREAM_PIECE_CHARACTERS = 64 * 1024  # a streamed file is sent in pieces of about this size


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


def _download_headers(filename: str) -> dict:
    """Saved as ``filename`` (plain ASCII, no quotes), not shown; never kept by the browser or a
    proxy, whatever the middleware does."""
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


def csv_download(filename: str, header: Iterable, rows: Iterable[Iterable]) -> HttpResponse:
    """A CSV file to save, made whole before it is sent: for files of a bounded size."""
    response = HttpResponse(content_type="text/csv; charset=utf-8", headers=_download_headers(filename))
    write_rows(response, header, rows)
    return response


def _pieces(header: Iterable, row_lists: Iterator[list]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in header])
    yield out.getvalue()  # at once: the download starts before the first row is read
    out.seek(0)
    out.truncate()
    for rows in row_lists:
        for row in rows:
            writer.writerow([safe_cell(cell) for cell in row])
        if out.tell() >= STREAM_PIECE_CHARACTERS:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _in_context(context: contextvars.Context, pieces: Iterator[str]) -> Iterator[str]:
    while True:
        try:
            yield context.run(next, pieces)
        except StopIteration:
            return


def csv_stream(filename: str, header: Iterable, row_lists: Iterable[list]) -> StreamingHttpResponse:
    """A CSV file to save, sent while it is made, for files of any size: ``row_lists`` gives the
    rows a list at a time (one query's worth, say), and is read as the file goes out, after the
    view has returned. Each list is made in the context of the request that asked for the file (a
    copy taken here), so what it records (core.audit: who, from where) names that request."""
    pieces = _pieces(header, iter(row_lists))
    return StreamingHttpResponse(
        _in_context(contextvars.copy_context(), pieces),
        content_type="text/csv; charset=utf-8", headers=_download_headers(filename),
    )
