"""Keyset pages: a list sorted on (one column, id) is cut just after the last row shown, or just
before the first, rather than at an offset, so that every page costs what the first does however
many rows come before it, on an index that matches the sort.

A cursor names a row by its sort value and id, as text for a link ("2026-12-01T00:00:00+00:00_812").
A cursor that cannot be read, or that names no row any more, is not an error: the page starts
there or, when it cannot be read, at the first page.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

SEPARATOR = "_"


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    next_cursor: str | None  # rows come after the last one shown
    previous_cursor: str | None  # rows come before the first one shown

    @property
    def is_first(self) -> bool:
        return self.previous_cursor is None

    @property
    def has_other_pages(self) -> bool:
        return self.next_cursor is not None or self.previous_cursor is not None


def cursor_of(row, key: str) -> str:
    value = getattr(row, key)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return f"{text}{SEPARATOR}{row.pk}"


def parse_cursor(queryset: QuerySet, key: str, text: str | None):
    """(sort value, id) from a cursor, or None when it is missing or cannot be read."""
    if not text or SEPARATOR not in text:
        return None
    value_text, _, pk_text = text.rpartition(SEPARATOR)
    if not pk_text.isascii() or not pk_text.isdigit() or len(pk_text) > 18:
        return None
    try:
        value = queryset.model._meta.get_field(key).to_python(value_text)
    except (ValidationError, ValueError, OverflowError):
        return None
    if value is None or (isinstance(value, datetime) and timezone.is_naive(value)):
        return None  # the cursors made here always carry their offset from UTC
    return value, int(pk_text)


def _beyond(key: str, cursor, *, forward: bool, descending: bool) -> Q:
    """Rows beyond ``cursor`` in the direction of reading. The first condition alone is a range on
    the index; the second only drops the rows that tie with the cursor's value."""
    value, pk = cursor
    later = forward != descending
    op, strict = ("gte", "gt") if later else ("lte", "lt")
    return Q(**{f"{key}__{op}": value}) & (Q(**{f"{key}__{strict}": value}) | Q(**{key: value, f"pk__{strict}": pk}))


def _order(key: str, *, forward: bool, descending: bool) -> list[str]:
    ascending = forward != descending
    return [key, "pk"] if ascending else [f"-{key}", "-pk"]


def keyset_page(queryset: QuerySet, *, key: str, size: int, after: str | None = None, before: str | None = None,
                descending: bool = False) -> KeysetPage:
    """One page of ``queryset`` sorted on (``key``, id), ascending unless ``descending``: the first
    page, the one after cursor ``after`` or the one before cursor ``before`` (``after`` wins when
    both are given). Two or three queries whatever the number of rows."""
    after_at = parse_cursor(queryset, key, after)
    before_at = None if after_at else parse_cursor(queryset, key, before)
    forward = before_at is None
    rows = queryset
    if after_at or before_at:
        rows = rows.filter(_beyond(key, after_at or before_at, forward=forward, descending=descending))
    rows = list(rows.order_by(*_order(key, forward=forward, descending=descending))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    if not rows:
        return KeysetPage(rows=[], next_cursor=None, previous_cursor=None)
    first, last = cursor_of(rows[0], key), cursor_of(rows[-1], key)
    if forward:
        has_next = more
        has_previous = after_at is not None and _any_beyond(queryset, key, rows[0], forward=False,
                                                            descending=descending)
    else:
        has_previous = more
        has_next = _any_beyond(queryset, key, rows[-1], forward=True, descending=descending)
    return KeysetPage(rows=rows, next_cursor=last if has_next else None,
                      previous_cursor=first if has_previous else None)


def _any_beyond(queryset: QuerySet, key: str, row, *, forward: bool, descending: bool) -> bool:
    cursor = (getattr(row, key), row.pk)
    return queryset.filter(_beyond(key, cursor, forward=forward, descending=descending)).exists()


def keyset_chunks(queryset: QuerySet, *, key: str, size: int, first_size: int | None = None):
    """Every row of ``queryset`` in (``key``, id) order, as lists of at most ``size`` rows (the first
    of at most ``first_size``, so that a streamed file starts at once), each list one query
    starting after the last row of the one before: a long export is read in bounded pieces, none
    of them costing more than the first."""
    cursor, wanted = None, first_size or size
    while True:
        rows = queryset.filter(_beyond(key, cursor, forward=True, descending=False)) if cursor else queryset
        rows = list(rows.order_by(key, "pk")[:wanted])
        if rows:
            yield rows
        if len(rows) < wanted:
            return
        cursor, wanted = (getattr(rows[-1], key), rows[-1].pk), size


@dataclass(frozen=True)
class BoundedCount:
    """How many rows, counted no further than ``limit``: a page reads a bounded number of rows
    whatever the size of the data, its count included."""

    counted: int
    limit: int

    @property
    def is_more(self) -> bool:
        return self.counted > self.limit

    def __str__(self):
        return f"more than {self.limit:,}" if self.is_more else f"{self.counted:,}"


def bounded_count(queryset: QuerySet, *, limit: int) -> BoundedCount:
    return BoundedCount(counted=queryset.order_by()[: limit + 1].count(), limit=limit)
