"""Who saw and who changed a family's record.

Changes to every family-bearing model are logged by django-auditlog (with the
acting user from AuditlogMiddleware); each log entry carries the family's id in
``additional_data`` so a family's whole history is one query. Reads are logged
here, explicitly, by the views that show a family's record.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from auditlog.cid import get_cid
from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from auditlog.signals import accessed
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.text import capfirst


def record_view(instance):
    """Log that the signed-in user (from AuditlogMiddleware) looked at ``instance``."""
    accessed.send(sender=instance.__class__, instance=instance)


def record_event(instance, *, actor, event: str, **details) -> LogEntry:
    """Log something done to ``instance`` that saves none of its fields (a password reset, sign-ins
    ended), so auditlog's signals never see it: written as auditlog writes a change, with the client's
    address and the correlation id from its middleware, ``event`` and ``details`` in additional_data."""
    context = auditlog_value.get({})
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=str(instance.pk),
        object_id=instance.pk,
        object_repr=str(instance),
        action=LogEntry.Action.UPDATE,
        changes={},
        actor=actor,
        actor_email=getattr(actor, "email", None),
        remote_addr=context.get("remote_addr"),
        remote_port=context.get("remote_port"),
        cid=get_cid(),
        additional_data={"event": event, **details},
    )


def history_for_family(family_id):
    return (
        LogEntry.objects.filter(additional_data__family_id=family_id)
        .select_related("actor", "content_type")
        .order_by("-timestamp")
    )


def record_export(*, user, families, export: str) -> int:
    """Log that ``user`` exported data about these families: one ACCESS entry per family, written in
    one INSERT. bulk_create skips auditlog's signals, so the actor, address and correlation id that
    its middleware would add are set here."""
    context = auditlog_value.get({})
    content_type = ContentType.objects.get_for_model(families[0]) if families else None
    now = timezone.now()
    entries = [
        LogEntry(
            content_type=content_type,
            object_pk=str(family.pk),
            object_id=family.pk,
            object_repr=str(family),
            action=LogEntry.Action.ACCESS,
            actor=user,
            actor_email=user.email,
            remote_addr=context.get("remote_addr"),
            remote_port=context.get("remote_port"),
            cid=get_cid(),
            timestamp=now,
            additional_data={"family_id": family.pk, "export": export},
        )
        for family in families
    ]
    return len(LogEntry.objects.bulk_create(entries))


# --------------------------------------------------------------- the history page, in words

HISTORY_PAGE_SIZE = 100
_ACTION_WORDS = {
    LogEntry.Action.CREATE: "Added",
    LogEntry.Action.UPDATE: "Changed",
    LogEntry.Action.DELETE: "Deleted",
    LogEntry.Action.ACCESS: "Viewed",
}
_NOTHING = "–"


def format_moment(moment: datetime) -> str:
    """A moment as people say it, in UK time: "Tuesday 1 December 2026, 21:05"."""
    return date_format(timezone.localtime(moment), "l j F Y, H:i")


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryChange:
    timestamp: datetime
    actor: object
    action: str
    record: str
    changes: list[FieldChange]


@dataclass(frozen=True)
class HistoryViews:
    """Views in a row by one person, folded into one line."""

    actor: object
    count: int
    first: datetime
    last: datetime

    @property
    def summary(self) -> str:
        who = self.actor or "the system"
        if self.count == 1:
            return f"Viewed by {who}, {format_moment(self.last)}"
        return f"Viewed {self.count} times by {who} between {format_moment(self.first)} and {format_moment(self.last)}"


@dataclass(frozen=True)
class HistoryPage:
    rows: list
    number: int
    has_next: bool


def _field(model, name):
    """The model's own field ``name`` (None for a reverse relation, or one since removed)."""
    try:
        field = model._meta.get_field(name) if model else None
    except FieldDoesNotExist:
        return None
    return field if field is not None and (field.concrete or field.many_to_many) else None


def _parse_moment(raw: str):
    # Naive values are UTC: auditlog strips the zone before storing (auditlog.diff.get_field_value).
    moment = parse_datetime(raw)
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def _value_in_words(field, raw, related_names) -> str:
    if raw is None or raw in ("None", ""):
        return _NOTHING
    raw = str(raw)
    if field is None:
        return raw
    if field.choices:
        return str(dict(field.flatchoices).get(raw, raw))
    if field.many_to_one or field.one_to_one:
        return related_names.get((field.related_model, raw), raw if not raw.isdigit() else "a record")
    kind = field.get_internal_type()
    if kind == "BooleanField":
        return {"True": "Yes", "False": "No"}.get(raw, raw)
    if kind == "DateTimeField":
        moment = _parse_moment(raw)
        return format_moment(moment) if moment else raw
    if kind == "DateField":
        day = parse_date(raw[:10])
        return date_format(day, "l j F Y") if day else raw
    return raw


def _m2m_in_words(change) -> tuple[str, str]:
    names = ", ".join(str(name) for name in change.get("objects", []))
    if change.get("operation") == "add":
        return _NOTHING, f"added {names}"
    if change.get("operation") == "delete":
        return f"removed {names}", _NOTHING
    return _NOTHING, "cleared"


def _related_names(entries) -> dict:
    """The names of the records the page's foreign keys point to, one query per kind of record
    (not per entry). A record since deleted is "a record"."""
    wanted = {}
    for entry in entries:
        model = entry.content_type.model_class()
        for name, values in (entry.changes_dict or {}).items():
            field = _field(model, name)
            if field is None or not (field.many_to_one or field.one_to_one) or isinstance(values, dict):
                continue
            for value in values:
                if value not in (None, "None", "") and str(value).isdigit():
                    wanted.setdefault(field.related_model, set()).add(str(value))
    names = {}
    for model, pks in wanted.items():
        for pk, record in model._default_manager.in_bulk([int(pk) for pk in pks]).items():
            names[(model, str(pk))] = str(record)
    return names


def _in_words(entry, related_names) -> HistoryChange:
    model = entry.content_type.model_class()
    changes = []
    for name, values in (entry.changes_dict or {}).items():
        field = _field(model, name)
        if field is None or field.primary_key:
            # A reverse relation, a field since removed, or the new row's own id: nothing for people.
            continue
        label = capfirst(field.verbose_name)
        if isinstance(values, dict):  # a many-to-many change
            before, after = _m2m_in_words(values)
        else:
            before, after = (_value_in_words(field, value, related_names) for value in values)
        if entry.action == LogEntry.Action.CREATE and after == _NOTHING:
            continue  # A new record's empty fields say nothing.
        changes.append(FieldChange(field=label, before=before, after=after))
    record = capfirst(model._meta.verbose_name) if model else "Record"
    return HistoryChange(
        timestamp=entry.timestamp,
        actor=entry.actor,
        action=_ACTION_WORDS.get(entry.action, "Changed"),
        record=record,
        changes=changes,
    )


def family_history_page(family_id, *, number: int = 1, size: int = HISTORY_PAGE_SIZE) -> HistoryPage:
    """One page of a family's history, newest first, for people to read: fields and values in
    words, and views in a row by one person folded into one line. At most ``size`` entries are
    read, in a constant number of queries."""
    number = max(number, 1)
    start = (number - 1) * size
    entries = list(history_for_family(family_id)[start : start + size + 1])
    has_next = len(entries) > size
    entries = entries[:size]
    related_names = _related_names(entry for entry in entries if entry.action != LogEntry.Action.ACCESS)
    rows = []
    for entry in entries:
        if entry.action == LogEntry.Action.ACCESS:
            previous = rows[-1] if rows else None
            if isinstance(previous, HistoryViews) and previous.actor == entry.actor:
                # Newest first: this view is earlier than those already folded.
                rows[-1] = HistoryViews(actor=entry.actor, count=previous.count + 1, first=entry.timestamp,
                                        last=previous.last)
            else:
                rows.append(HistoryViews(actor=entry.actor, count=1, first=entry.timestamp, last=entry.timestamp))
        else:
            rows.append(_in_words(entry, related_names))
    return HistoryPage(rows=rows, number=number, has_next=has_next)
