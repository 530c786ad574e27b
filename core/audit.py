"""Who saw and who changed a family's record.

Changes to every family-bearing model are logged by django-auditlog (with the acting user from
its middleware); each log entry carries the family's id in ``additional_data`` so a family's
whole history is one query. Reads are logged here, explicitly, by the views that show personal
data: one ACCESS entry per record shown, with the kind of read (``Read``), written set-based.

The trail says who, when, from where, which record and which fields changed, never what was
written about people: before any entry is saved, the values of free-text fields are replaced by
``TEXT_NOT_KEPT`` and the record's name by its kind and number (``withhold_case_text``). Retention
and subject-access redaction then only have the records themselves to deal with. On PostgreSQL a
trigger refuses UPDATE and DELETE on the table (``core.models.AuditEntry``); rows leave only through the
retention command, which is itself audited.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pgtrigger
from auditlog.cid import get_cid
from auditlog.context import auditlog_value
from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router, transaction
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.text import capfirst

from core.models import AuditEntry

# What an entry holds in place of words written about people.
TEXT_NOT_KEPT = "(text not kept)"
# The trigger that keeps audit rows as they were written (core.models.AuditEntry).
APPEND_ONLY_TRIGGER = f"core.AuditEntry:{AuditEntry.APPEND_ONLY}"


class Read(models.TextChoices):
    """The kinds of read the trail tells apart (``additional_data["read"]`` of an ACCESS entry)."""

    VIEW = "view", "Viewed"
    LIST = "list", "Listed"
    SEARCH = "search", "Shown in search results"
    PRINT = "print", "Printed"
    EXPORT = "export", "Exported"
    REFUSED = "refused", "Refused"


class RefusedRecord(Http404):
    """The 404 for a record that exists but that the person may not see. The audit middleware logs
    the attempt once the view has given up, outside any transaction the view had open (a 404
    usually rolls one back), and the person is told no more than for an id that names nothing."""

    def __init__(self, model, pk):
        super().__init__()
        self.model = model
        self.pk = pk


class AuditMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, also noting the page (its path: ids, never a query string) so
    a read says where it happened, and logging refused attempts (``RefusedRecord``)."""

    def get_extra_data(self, request):
        return {**super().get_extra_data(request), "page": request.path}

    def process_exception(self, request, exception):
        if isinstance(exception, RefusedRecord):
            user = getattr(request, "user", None)
            record_refused(exception.model, exception.pk, actor=user if user and user.is_authenticated else None)
        return None  # Django answers the 404 as for any other.


# --------------------------------------------------------------- keeping case text out


def _is_free_text(field) -> bool:
    # A JSON field holds words too: a safety plan version's copy of the whole plan.
    return isinstance(field, models.JSONField) or (
        isinstance(field, models.CharField | models.TextField) and not field.choices
    )


def free_text_fields(model) -> frozenset[str]:
    """The names (and attnames) of ``model``'s fields whose values the trail does not keep: words
    (text without fixed choices, JSON) and any the model names in ``audit_withheld_fields`` (a date of
    birth: with it, an anonymised child could be known again from the trail)."""
    if model is None:
        return frozenset()
    withheld = set(getattr(model, "audit_withheld_fields", ()))
    names = set()
    for field in model._meta.concrete_fields:
        if _is_free_text(field) or field.name in withheld:
            names.update({field.name, field.attname})
    return frozenset(names)


def record_name(model, pk) -> str:
    """How the trail names a record: its kind and number ("Person 12"), never what it says."""
    kind = capfirst(model._meta.verbose_name) if model is not None else "Record"
    return f"{kind} {pk}"


def without_case_text(changes, model):
    """``changes`` (auditlog's field -> [before, after], or a many-to-many change) with the values of
    free-text fields replaced by TEXT_NOT_KEPT (empty stays empty, so "written" and "cleared" are
    still told apart) and the names of linked records by their number."""
    if not changes:
        return changes
    text_fields = free_text_fields(model)
    kept = {}
    for name, values in changes.items():
        if isinstance(values, dict):  # a many-to-many change names the linked records: keep how many.
            objects = values.get("objects", [])
            kept[name] = {**values, "objects": [], "count": values.get("count", len(objects))}
        elif name in text_fields:
            kept[name] = [TEXT_NOT_KEPT if value not in (None, "", "None") else value for value in values]
        else:
            kept[name] = values
    return kept


def withhold_case_text(entry: LogEntry) -> LogEntry:
    """Make ``entry`` fit for the trail: see the module's docstring. Every entry passes here, whether
    auditlog's signals write it (``pre_save``) or this module does, in bulk."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    entry.object_repr = record_name(model, entry.object_pk)
    entry.changes = without_case_text(entry.changes, model)
    entry.changes_text = ""
    entry.serialized_data = None
    return entry


@receiver(pre_save, sender=LogEntry)
def _keep_case_text_out(sender, instance, **kwargs):
    withhold_case_text(instance)


# --------------------------------------------------------------- writing entries


def _new_entry(instance, *, action, actor, additional_data, changes=None, timestamp=None, pk=None,
               context=None) -> LogEntry:
    """An entry as auditlog writes one, with the client's address and the correlation id from its
    middleware, for the paths its signals never see (reads, events, bulk writes). ``instance``: the
    record, or its model with ``pk``."""
    context = auditlog_value.get({}) if context is None else context
    pk = instance.pk if pk is None else pk
    return withhold_case_text(
        LogEntry(
            content_type=ContentType.objects.get_for_model(instance),
            object_pk=str(pk),
            object_id=pk if isinstance(pk, int) else None,
            action=action,
            changes=changes,
            actor=actor,
            actor_email=getattr(actor, "email", None),
            remote_addr=context.get("remote_addr"),
            remote_port=context.get("remote_port"),
            cid=get_cid(),
            timestamp=timestamp or timezone.now(),
            additional_data=additional_data,
        )
    )


def _family_of(instance) -> dict:
    get_additional_data = getattr(instance, "get_additional_data", None)
    return dict(get_additional_data() or {}) if get_additional_data else {}


def record_reads(records, *, kind: Read, what: str = "", actor=None) -> int:
    """Log that ``actor`` (by default the signed-in user, from the audit middleware) was shown these
    records (a record named twice is logged once): one ACCESS entry per record, in one INSERT, each
    with the kind of read, the family it belongs to, the page, and ``what`` was printed or exported.
    Returns how many were written."""
    records = list({(type(record), record.pk): record for record in records
                    if record is not None and record.pk is not None}.values())
    if not records:
        return 0
    context = auditlog_value.get({})
    actor = actor if actor is not None else context.get("actor")
    now = timezone.now()
    details = _read_details(kind, what, context)
    entries = [
        _new_entry(record, action=LogEntry.Action.ACCESS, actor=actor, timestamp=now,
                   additional_data={**_family_of(record), **details}, context=context)
        for record in records
    ]
    return len(LogEntry.objects.bulk_create(entries))


def record_family_reads(family_model, family_ids, *, kind: Read, what: str = "", actor=None) -> int:
    """As record_reads, for families known by their ids alone (the tens of thousands of a long
    export's), without making an object for each: one entry is made and checked as every other
    (``_new_entry``), then written once per family by one INSERT … SELECT on PostgreSQL (one
    statement per family elsewhere). ``family_model`` is families.Family, which this floor does not
    import. Returns how many were written."""
    ids = sorted({int(pk) for pk in family_ids})
    if not ids:
        return 0
    context = auditlog_value.get({})
    details = _read_details(kind, what, context)
    model_entry = _new_entry(family_model, pk=0, action=LogEntry.Action.ACCESS,
                             actor=actor if actor is not None else context.get("actor"), timestamp=timezone.now(),
                             additional_data={"family_id": 0, **details}, context=context)
    prefix = record_name(family_model, "")
    same = [model_entry.content_type_id, model_entry.action, model_entry.actor_id, model_entry.actor_email,
            model_entry.remote_addr, model_entry.remote_port, model_entry.cid, model_entry.timestamp]
    connection = connections[router.db_for_write(LogEntry)]
    table = connection.ops.quote_name(LogEntry._meta.db_table)
    columns = ("content_type_id, action, actor_id, actor_email, remote_addr, remote_port, cid, timestamp, "
               "object_pk, object_id, object_repr, additional_data, changes_text, serialized_data, changes")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 - the table's name from model metadata
                "SELECT %s, %s, %s, %s, %s, %s, %s, %s, id::text, id, %s || id, "
                "jsonb_build_object('family_id', id) || %s::jsonb, '', NULL, NULL FROM unnest(%s::bigint[]) AS t(id)",
                [*same, prefix, json.dumps(details), ids],
            )
        else:
            placeholders = ", ".join(["%s"] * 14)
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders}, NULL)",  # noqa: S608 - as above
                [[*[connection.ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else value
                    for value in same],
                  str(pk), pk, f"{prefix}{pk}", json.dumps({"family_id": pk, **details}), "", None]
                 for pk in ids],
            )
    return len(ids)


def _read_details(kind: Read, what: str, context: dict) -> dict:
    details = {"read": str(kind)}
    if what:
        details["what"] = what
    if context.get("page"):
        details["page"] = context["page"]
    return details


def record_view(instance, *, kind: Read = Read.VIEW):
    """Log that the signed-in user looked at ``instance`` (a page, a print, a download of one record)."""
    record_reads([instance], kind=kind)


def record_refused(model, pk, *, actor) -> bool:
    """Log an attempt by ``actor`` to reach record ``pk`` that they may not see, if it exists (an id
    that names nothing is not anyone's record). The person is answered 404 whatever this finds."""
    instance = model._default_manager.filter(pk=pk).first() if str(pk).isdigit() else None
    if instance is None:
        return False
    record_reads([instance], kind=Read.REFUSED, actor=actor)
    return True


def record_event(instance, *, actor, event: str, **details) -> LogEntry:
    """Log something done to ``instance`` that saves none of its fields (a password reset, sign-ins
    ended), so auditlog's signals never see it; ``event`` and ``details`` go in additional_data."""
    entry = _new_entry(instance, action=LogEntry.Action.UPDATE, actor=actor, changes={},
                       additional_data={"event": event, **details})
    entry.save()
    return entry


def record_changes(instances, *, actor, changes, event: str, timestamp=None, **details) -> int:
    """Log the same change, made by one UPDATE that sends no signals, to each of ``instances``: one
    INSERT."""
    now = timestamp or timezone.now()
    entries = [
        _new_entry(instance, action=LogEntry.Action.UPDATE, actor=actor, changes=changes, timestamp=now,
                   additional_data={**_family_of(instance), "event": event, **details})
        for instance in instances
    ]
    return len(LogEntry.objects.bulk_create(entries))


def history_for_family(family_id):
    return (
        LogEntry.objects.filter(additional_data__family_id=family_id)
        .select_related("actor", "content_type")
        .order_by("-timestamp")
    )


# --------------------------------------------------------------- leaving the trail

REMOVAL_EVENT = "audit entries removed under the retention rule"


@dataclass(frozen=True)
class Removal:
    before: datetime
    count: int
    dry_run: bool


def entries_before(before: datetime):
    """The entries a removal with cut-off ``before`` would take: every entry written before it but
    the records of earlier removals."""
    return LogEntry.objects.filter(timestamp__lt=before).exclude(additional_data__event=REMOVAL_EVENT)


def remove_old_entries(*, before: datetime, actor=None, dry_run: bool = True) -> Removal:
    """Remove the entries written before ``before`` (the retention rule's cut-off): the only way a
    row leaves the trail. A dry run only counts. The removal is itself an entry, written in the
    same transaction, so the trail always says what left it, when, by whose hand and under which
    cut-off; a removal never removes an earlier removal's record."""
    old = entries_before(before)
    if dry_run:
        return Removal(before=before, count=old.count(), dry_run=True)
    with transaction.atomic():
        with pgtrigger.ignore(APPEND_ONLY_TRIGGER):
            count, _ = old.delete()
        entry = LogEntry(
            content_type=ContentType.objects.get_for_model(LogEntry), object_pk="retention",
            action=LogEntry.Action.DELETE,
            actor=actor, actor_email=getattr(actor, "email", None), cid=get_cid(), changes={},
            additional_data={"event": REMOVAL_EVENT, "before": before.isoformat(), "removed": count},
        )
        entry.save()
    return Removal(before=before, count=count, dry_run=False)


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


# How each kind of read reads in a family's history: "<what happened> [n times] <to whom> <who>".
_READ_WORDS = {
    Read.VIEW: ("Viewed", "by"),
    Read.LIST: ("Listed", "on a page opened by"),
    Read.SEARCH: ("Shown in search results", "to"),
    Read.PRINT: ("Printed", "by"),
    Read.EXPORT: ("Downloaded", "by"),
    Read.REFUSED: ("Not shown: outside their team,", "to"),
}


@dataclass(frozen=True)
class HistoryViews:
    """Reads of one kind in a row by one person, folded into one line."""

    actor: object
    count: int
    first: datetime
    last: datetime
    kind: str = Read.VIEW

    @property
    def refused(self) -> bool:
        return self.kind == Read.REFUSED

    @property
    def summary(self) -> str:
        who = self.actor or "the system"
        happened, to_whom = _READ_WORDS.get(self.kind, _READ_WORDS[Read.VIEW])
        if self.count == 1:
            return f"{happened} {to_whom} {who}, {format_moment(self.last)}"
        return (f"{happened} {self.count} times {to_whom} {who} between {format_moment(self.first)} and "
                f"{format_moment(self.last)}")


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
    if field is None or raw == TEXT_NOT_KEPT:
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
    count = change.get("count", len(change.get("objects", [])))
    names = f"{count} record{'s' if count != 1 else ''}"
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
            kind = (entry.additional_data or {}).get("read", Read.VIEW)
            previous = rows[-1] if rows else None
            if isinstance(previous, HistoryViews) and previous.actor == entry.actor and previous.kind == kind:
                # Newest first: this read is earlier than those already folded.
                rows[-1] = HistoryViews(actor=entry.actor, count=previous.count + 1, first=entry.timestamp,
                                        last=previous.last, kind=kind)
            else:
                rows.append(HistoryViews(actor=entry.actor, count=1, first=entry.timestamp, last=entry.timestamp,
                                         kind=kind))
        else:
            rows.append(_in_words(entry, related_names))
    return HistoryPage(rows=rows, number=number, has_next=has_next)
