"""The intelligence log: what parents gather about the people exploiting their child, what the
police were told, and the links no agency made between families' logs.

Registrations, phone numbers and handles are stored as written (that is what the parent saw) and
also as a normalised key, so that "ab12 cde" in one family's log and "AB12-CDE" in another's are
found by an index as the same vehicle. Keys are derived here and only here: the services call
these functions, and the forms call them too so that a number that cannot be read is refused next
to its field with everything else the user typed kept.

Who may see any of it is decided in families.permissions (INTELLIGENCE_ROLES). A match in a
family the viewer may not see is counted, never described: not its reference, team or area.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field

import phonenumbers
from django.db import models, transaction
from django.db.models import Case, Count, Exists, F, Max, OuterRef, Q, Value, When
from django.utils import timezone

from core.concurrency import save_if_unchanged
from core.errors import UserFixableError
from families.models import Family, Person
from families.permissions import intelligence_team_ids, managed_team_ids, may_see_intelligence
from safety_plans.models import IntelligenceEntry

# ----------------------------------------------------------------------------- normalisation

DEFAULT_PHONE_REGION = "GB"


class Platform(models.TextChoices):
    SNAPCHAT = "snapchat", "Snapchat"
    INSTAGRAM = "instagram", "Instagram"
    TIKTOK = "tiktok", "TikTok"
    WHATSAPP = "whatsapp", "WhatsApp"
    FACEBOOK = "facebook", "Facebook"
    X = "x", "X (Twitter)"
    TELEGRAM = "telegram", "Telegram"
    DISCORD = "discord", "Discord"
    YOUTUBE = "youtube", "YouTube"


OTHER_PLATFORM = "other"
# Names people write for the platforms above, after lower-casing and removing spaces and punctuation.
_PLATFORM_ALIASES = {
    "snap": Platform.SNAPCHAT,
    "insta": Platform.INSTAGRAM,
    "ig": Platform.INSTAGRAM,
    "twitter": Platform.X,
    "xtwitter": Platform.X,
    "fb": Platform.FACEBOOK,
    "messenger": Platform.FACEBOOK,
    "facebookmessenger": Platform.FACEBOOK,
}
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")
_HANDLE_SPACES = re.compile(r"\s+")
# A UK number the library's metadata does not list as allocated is still accepted when it has the
# shape of a UK geographic, 03 or mobile number: Ofcom keeps ranges such as 07700 900xxx and
# 01632 960xxx unallocated (the library calls them invalid), and new ranges reach the library's
# metadata months after they are in use. A partial number is still refused.
_UK_NUMBER_SHAPE = re.compile(r"^[1237]\d{9}$")

PHONE_UNREADABLE = (
    "This does not look like a complete phone number. Check the digits (for example 07700 900123, "
    "or +33 6 12 34 56 78 for a number abroad); if only part of it is known, put that in the description."
)
REGISTRATION_UNREADABLE = "Enter the letters and numbers of the registration, for example AB12 CDE."
HANDLE_UNREADABLE = "Enter the account's name, for example @big.dave."
HANDLE_NEEDS_PLATFORM = (
    "Say which platform this account is on: the same name on two platforms can be two different people."
)


def normalise_registration(value: str) -> str:
    """"ab12 cde", "AB12CDE" and "Ab 12-CDE" are all "AB12CDE"; "" for no registration."""
    return _NOT_LETTER_OR_DIGIT.sub("", value or "").upper()


def normalise_phone(value: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """The number in E.164 ("07700 900123" → "+447700900123"); "" for no number. Raises
    UserFixableError (on the ``phone`` field) for something that cannot be a whole number."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise UserFixableError(PHONE_UNREADABLE, field="phone") from None
    national = str(number.national_number)
    uk_shaped = number.country_code == 44 and _UK_NUMBER_SHAPE.match(national)
    if not (phonenumbers.is_valid_number(number) or uk_shaped):
        raise UserFixableError(PHONE_UNREADABLE, field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_platform(value: str) -> str:
    """A platform's key: one of Platform's values for the platforms it lists ("Snapchat", "snap" →
    "snapchat"), else the name lower-case without spaces or punctuation ("Kik Messenger" → "kikmessenger")."""
    compact = _NOT_LETTER_OR_DIGIT.sub("", (value or "").lower())
    if compact in Platform.values:
        return compact
    by_label = {_NOT_LETTER_OR_DIGIT.sub("", label.lower()): value for value, label in Platform.choices}
    return str(_PLATFORM_ALIASES.get(compact) or by_label.get(compact) or compact)


def normalise_handle(platform: str, handle: str) -> str:
    """"Snapchat", "@Big.Dave" → "snapchat:big.dave"; "" for no handle. Raises UserFixableError for
    a handle without a platform, since the key would match the same name on any platform."""
    name = _HANDLE_SPACES.sub("", (handle or "")).lstrip("@").lower()
    if not (handle or "").strip():
        return ""
    if not name:
        raise UserFixableError(HANDLE_UNREADABLE, field="handle")
    platform_key = normalise_platform(platform)
    if not platform_key:
        raise UserFixableError(HANDLE_NEEDS_PLATFORM, field="platform")
    return f"{platform_key}:{name}"


def platform_label(value: str) -> str:
    """How a stored platform is shown: "snapchat" → "Snapchat"; another platform as it was typed."""
    return dict(Platform.choices).get(value, value)


def _set_keys(entry: IntelligenceEntry):
    registration_key = normalise_registration(entry.registration)
    if entry.registration.strip() and not registration_key:
        raise UserFixableError(REGISTRATION_UNREADABLE, field="registration")
    entry.registration_key = registration_key
    entry.phone_key = normalise_phone(entry.phone)
    entry.handle_key = normalise_handle(entry.platform, entry.handle)


# ----------------------------------------------------------------------------- services


def _check(entry: IntelligenceEntry):
    if entry.child_id is not None and not Person.objects.filter(
        pk=entry.child_id, family_id=entry.family_id, kind=Person.Kind.CHILD
    ).exists():
        raise UserFixableError("Choose one of this family's children.", field="child")
    if entry.passed_to_police_on is not None:
        seen_on = timezone.localdate(entry.observed_at)
        if entry.passed_to_police_on < seen_on:
            raise UserFixableError(
                f"This was seen on {seen_on:%d/%m/%Y}, so it cannot have been passed to the police before then.",
                field="passed_to_police_on",
            )
    elif entry.police_reference or entry.police_officer_or_unit:
        raise UserFixableError("Add the date it was passed to the police.", field="passed_to_police_on")


@transaction.atomic
def intelligence_record(*, user, family: Family, entry: IntelligenceEntry) -> IntelligenceEntry:
    """Add an entry to the family's log, with its keys for matching across families."""
    entry.family = family
    entry.recorded_by = user
    _set_keys(entry)
    _check(entry)
    entry.save()
    return entry


@transaction.atomic
def intelligence_update(*, user, entry: IntelligenceEntry, expected_version: int) -> IntelligenceEntry:
    """Save edits to an entry (its details, or what the police were told), unless someone else saved
    it since ``expected_version`` was loaded."""
    _set_keys(entry)
    _check(entry)
    return save_if_unchanged(entry, expected_version)


# ----------------------------------------------------------------------------- matching across families


@dataclass(frozen=True)
class OtherFamily:
    """A family the viewer may see whose log has the same registration, number or handle."""

    pk: int
    reference: str


@dataclass
class Matches:
    """Other families' logs with the same registration, phone number or handle as one entry.
    ``hidden`` counts those in teams whose intelligence the viewer may not see: nothing else about
    them is known here."""

    visible: list[OtherFamily] = field(default_factory=list)
    hidden: int = 0

    @property
    def total(self) -> int:
        return len(self.visible) + self.hidden


@dataclass
class LogRow:
    entry: IntelligenceEntry
    platform: str
    matches: Matches


_KEY_FIELDS = ("registration_key", "phone_key", "handle_key")


def _matching_keys(entries) -> Q | None:
    """Entries sharing any key with ``entries`` (None when they have no keys). Each field's condition
    repeats "<> ''" so that PostgreSQL uses that field's partial index (intel_registration,
    intel_phone, intel_handle) however long the list; an empty key is no key and never matches."""
    condition = None
    for key_field in _KEY_FIELDS:
        keys = sorted({getattr(entry, key_field) for entry in entries} - {""})
        if keys:
            this_field = Q(**{f"{key_field}__in": keys}) & ~Q(**{key_field: ""})
            condition = this_field if condition is None else condition | this_field
    return condition


def _visible_reference(user):
    """The family's reference if ``user`` may see its intelligence, else "" — decided in the
    database, so that nothing of a family the viewer may not see is ever read into the page."""
    may_see = Exists(intelligence_team_ids(user).filter(team_id=OuterRef("family__team_id")))
    return Case(When(may_see, then=F("family__reference")), default=Value(""))


def matches_for(entries, *, user, family: Family) -> dict[int, Matches]:
    """For each of ``entries`` (one family's), the other families whose logs share a key with it.
    One query for the whole list, through the partial indexes on the keys."""
    entries = list(entries)
    found = {entry.pk: Matches() for entry in entries}
    condition = _matching_keys(entries)
    if condition is None:
        return found
    rows = (
        IntelligenceEntry.objects.filter(condition)
        .exclude(family_id=family.pk)
        .annotate(visible_reference=_visible_reference(user))
        .values_list(*_KEY_FIELDS, "family_id", "visible_reference")
        .order_by()
        .distinct()
    )
    families_by_key = defaultdict(dict)  # (field, key) → {family id: reference or ""}
    for *keys, family_id, reference in rows:
        for key_field, key in zip(_KEY_FIELDS, keys, strict=True):
            if key:
                families_by_key[(key_field, key)][family_id] = reference
    for entry in entries:
        others = {}
        for key_field in _KEY_FIELDS:
            key = getattr(entry, key_field)
            if key:
                others.update(families_by_key.get((key_field, key), {}))
        matches = found[entry.pk]
        matches.visible = sorted(
            (OtherFamily(pk=pk, reference=reference) for pk, reference in others.items() if reference),
            key=lambda other: other.reference,
        )
        matches.hidden = sum(1 for reference in others.values() if not reference)
    return found


# ----------------------------------------------------------------------------- reads for pages


def entries_of(family: Family):
    return family.intelligence.select_related("child", "recorded_by").order_by("-observed_at", "-pk")


def intelligence_log(family: Family, user) -> list[LogRow]:
    """The family's log, newest first, each entry with its matches in other families' logs.
    Two queries whatever its length."""
    entries = list(entries_of(family))
    matches = matches_for(entries, user=user, family=family)
    return [LogRow(entry=e, platform=platform_label(e.platform), matches=matches[e.pk]) for e in entries]


@dataclass(frozen=True)
class IntelligenceSection:
    family: Family
    entries: int
    not_passed: int


def intelligence_section(family: Family, user) -> IntelligenceSection | None:
    """The family page's line about its log; None for someone who may not see intelligence, so that
    they are not told there is any."""
    if not may_see_intelligence(user, family):
        return None
    counts = family.intelligence.aggregate(
        entries=Count("pk"), not_passed=Count("pk", filter=Q(passed_to_police_on__isnull=True))
    )
    return IntelligenceSection(family=family, **counts)


def intelligence_for_plo_home(user, limit: int = 20) -> list[IntelligenceEntry]:
    """Entries not yet passed to the police, newest sighting first, in the open families of the teams
    where ``user`` may see intelligence. One query (uses the intel_not_passed index)."""
    return list(
        IntelligenceEntry.objects.filter(
            passed_to_police_on__isnull=True,
            family__team_id__in=intelligence_team_ids(user),
            family__status=Family.Status.OPEN,
        )
        .select_related("family")
        .only("pk", "kind", "observed_at", "description", "family_id", "family__reference", "family__team_id")
        .order_by("-observed_at", "-pk")[:limit]
    )


def entries_for_sheet(family: Family, entry_ids) -> list[IntelligenceEntry]:
    """The chosen entries of this family's log, oldest first as the police read a sequence of events.
    Ids of entries in other families' logs are ignored."""
    return list(family.intelligence.filter(pk__in=entry_ids).order_by("observed_at", "pk"))


# ----------------------------------------------------------------------------- links across families

LINKS_LIMIT = 200
_KEY_LABELS = {
    "registration_key": "Vehicle registration",
    "phone_key": "Phone number",
    "handle_key": "Online account",
}


@dataclass(frozen=True)
class LinkedFamily:
    pk: int
    reference: str
    entries: int
    last_seen: object


@dataclass
class Link:
    """A registration, number or handle reported by two or more families."""

    key_field: str
    key: str
    family_count: int
    families: list[LinkedFamily] = field(default_factory=list)

    @property
    def what(self) -> str:
        return _KEY_LABELS[self.key_field]

    @property
    def shown_as(self) -> str:
        if self.key_field == "handle_key":
            platform, _, name = self.key.partition(":")
            return f"{name} on {platform_label(platform)}"
        return self.key

    @property
    def hidden(self) -> int:
        return self.family_count - len(self.families)


def _per_key(key_field: str, queryset):
    return queryset.exclude(**{key_field: ""}).annotate(key_field=Value(key_field), key=F(key_field))


def links_across_families(user, *, managed=None, limit: int = LINKS_LIMIT) -> list[Link]:
    """Registrations, numbers and handles in the logs of two or more families, at least one of them
    in a team ``user`` manages; most families first. Each lists only the families whose intelligence
    ``user`` may see, and counts the others. Two queries (keys, then the families shown), and one for
    the teams ``user`` manages unless ``managed`` (families.permissions.managed_team_ids) is given."""
    managed = managed_team_ids(user) if managed is None else managed
    if not managed:
        return []
    keyed = []
    for key_field in _KEY_FIELDS:
        in_managed_teams = IntelligenceEntry.objects.filter(family__team_id__in=managed).exclude(**{key_field: ""})
        keyed.append(
            _per_key(key_field, IntelligenceEntry.objects.filter(
                **{f"{key_field}__in": in_managed_teams.values(key_field)}
            ))
            .values("key_field", "key")
            .annotate(family_count=Count("family_id", distinct=True))
            .filter(family_count__gte=2)
            .values_list("key_field", "key", "family_count")
            .order_by()
        )
    rows = keyed[0].union(*keyed[1:], all=True).order_by("-family_count", "key_field", "key")[:limit]
    links = {(key_field, key): Link(key_field, key, count) for key_field, key, count in rows}
    if not links:
        return []
    shown = []
    for key_field in _KEY_FIELDS:
        keys = [key for field_, key in links if field_ == key_field]
        if not keys:
            continue
        shown.append(
            _per_key(key_field, IntelligenceEntry.objects.filter(
                **{f"{key_field}__in": keys}, family__team_id__in=intelligence_team_ids(user)
            ))
            .values("key_field", "key", "family_id", "family__reference")
            .annotate(entries=Count("pk"), last_seen=Max("observed_at"))
            .values_list("key_field", "key", "family_id", "family__reference", "entries", "last_seen")
            .order_by()
        )
    for key_field, key, family_id, reference, entries, last_seen in shown[0].union(*shown[1:], all=True):
        links[(key_field, key)].families.append(LinkedFamily(family_id, reference, entries, last_seen))
    for link in links.values():
        link.families.sort(key=lambda family: family.reference)
    return list(links.values())
