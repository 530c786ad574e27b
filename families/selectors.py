"""Reads that pages need, each a fixed number of queries whatever the data size."""

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.utils import timezone

from core.keyset import BoundedCount, KeysetPage, bounded_count, keyset_page
from core.validators import name_key, phone_for_display, phone_key, postcode_key
from families import postcodes
from families.models import Contact, Family, FollowUp, LocalAuthority, Person, RiskLevelChange
from families.permissions import team_ids, visible_families

SEARCH_LIMIT = 20
SEARCH_TEXT_LENGTH = 100  # longer than any name, number or postcode
RECENT_CONTACTS = 10
DUPLICATES_LIMIT = 10
FAMILY_REFERENCE = "F-{:06d}"  # as services.FAMILY_REFERENCE_FORMAT gives them
# A reference, with or without its letter and hyphen, or the start of one: "F-000123", "f123", "000123", "F-0001".
_REFERENCE = re.compile(r"^(f)?\s*-?\s*(\d+)$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[\d\s().-]+$")
_POSTCODE_START = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]{0,5}$")
# The digits of a whole UK phone number (9 or 10), as phone_key keeps them.
_WHOLE_PHONE_KEY = re.compile(r"^\d{9,10}$")


def _people_prefetch():
    return Prefetch("people", queryset=Person.objects.order_by("kind", "first_name"))


@dataclass(frozen=True)
class _SearchText:
    """What a search text could be: each part is empty when the text cannot be one."""

    reference_digits: str
    phone_key: str
    postcode_key: str
    name_keys: tuple


def _read_search_text(text: str) -> _SearchText:
    reference = _REFERENCE.match(text)
    phone_like = bool(_PHONE.match(text)) and len(re.sub(r"\D", "", text)) >= 4
    compact = postcode_key(text)
    return _SearchText(
        reference_digits=reference.group(2) if reference else "",
        phone_key=phone_key(text) if phone_like else "",
        postcode_key=compact if _POSTCODE_START.match(compact) else "",
        # Digits and phone punctuation only is never a name.
        name_keys=() if _PHONE.match(text) else tuple(key for key in map(name_key, text.split(" ")) if key),
    )


def _name_matches(keys) -> Q:
    """People whose names start with every word typed, in either order ("Jo Oka", "Okafor Joanne"),
    or whose names run together start with the words run together ("O Brien" finds O'Brien,
    "Mary Ann Smith" finds Mary Ann Smith)."""
    every_word = Q()
    for key in keys:
        every_word &= Q(first_name_key__startswith=key) | Q(last_name_key__startswith=key)
    together = "".join(keys)
    return every_word | Q(full_name_key__startswith=together) | Q(last_name_key__startswith=together)


def _matching_family_ids(searched: _SearchText):
    """The ids of every family (of any team: the caller narrows to those the user may see) with a
    match, as one subquery: a UNION of index scans, one per table, so that on PostgreSQL each
    condition is read from its index rather than by testing every family of the team."""
    people = Q()
    if searched.name_keys:
        people |= _name_matches(searched.name_keys)
    if searched.phone_key:
        people |= Q(phone_digits__startswith=searched.phone_key)
    families = Q()
    if searched.reference_digits:
        digits = searched.reference_digits
        families |= Q(reference__startswith=f"F-{digits}")
        if len(digits) < 6:  # "123" and "F123" are F-000123 as well as the start of F-123456
            families |= Q(reference=FAMILY_REFERENCE.format(int(digits)))
    if searched.postcode_key:
        families |= Q(postcode_key__startswith=searched.postcode_key)
    # Without the models' default ordering, which a compound statement's parts may not have.
    parts = []
    if people:
        parts.append(Person.objects.filter(people).order_by().values("family_id"))
    if families:
        parts.append(Family.objects.filter(families).order_by().values("pk"))
    if not parts:
        return None
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


@dataclass
class FamilySearch:
    families: list
    # More than SEARCH_LIMIT families match: only the most recently active are shown.
    more: bool = False


def family_search(user, text: str) -> FamilySearch:
    """Families of the user's teams matching, however it is written, the reference (or its start,
    with or without the F), a family member's name (case, accents and punctuation ignored), a phone
    number (national or international, as caller ID shows it) or a postcode (spaces ignored).
    Two queries: families, then their people."""
    text = " ".join(text.split())
    if len(text) < 2:
        return FamilySearch(families=[])
    ids = _matching_family_ids(_read_search_text(text))
    if ids is None:
        return FamilySearch(families=[])
    families = list(
        visible_families(user)
        .filter(pk__in=ids)
        .select_related("local_authority", "key_worker")
        .prefetch_related(_people_prefetch())
        .order_by("status", "-updated_at", "pk")[: SEARCH_LIMIT + 1]
    )
    return FamilySearch(families=families[:SEARCH_LIMIT], more=len(families) > SEARCH_LIMIT)


def new_family_initial(text: str) -> dict:
    """What a search that found nothing gives the new-family form, by form prefix: a phone number
    goes to the carer's phone, a postcode to the postcode, words to the carer's names (one word is
    taken as a first name, which is what callers most often give). A reference gives nothing."""
    text = " ".join(text[:SEARCH_TEXT_LENGTH].split())
    if not text or _REFERENCE.match(text) and not _WHOLE_PHONE_KEY.match(phone_key(text)):
        return {}
    if _PHONE.match(text):
        return {"carer": {"phone": phone_for_display(text)}}
    if _POSTCODE_START.match(postcode_key(text)):
        try:
            return {"family": {"postcode": postcodes.normalise_postcode(text)}}
        except ValidationError:
            return {"family": {"postcode": text.upper()}}
    *first, last = text.split(" ")
    if not first:
        return {"carer": {"first_name": last}}
    return {"carer": {"first_name": " ".join(first), "last_name": last}}


@dataclass
class PossibleDuplicate:
    family: Family
    # Why it may be the same family, in words: "same phone number".
    reasons: list


def possible_duplicates(user, *, carer: Person, child: Person, postcode: str = "") -> list[PossibleDuplicate]:
    """Families the user may see that may be the one about to be added: a person with the same phone
    number; a child with the same names and date of birth; the same postcode and a surname in
    common. Families the user may not see are never mentioned. Two queries."""
    phone = phone_key(carer.phone)
    phone = phone if _WHOLE_PHONE_KEY.match(phone) else ""
    child_first, child_last = name_key(child.first_name), name_key(child.last_name)
    surnames = {key for key in (name_key(carer.last_name), child_last) if key}
    postcode = postcode_key(postcode)

    same_person = Q()
    if phone:
        same_person |= Q(phone_digits=phone)
    if child_first and child.date_of_birth:
        same_child = Q(kind=Person.Kind.CHILD, first_name_key=child_first, date_of_birth=child.date_of_birth)
        if child_last:  # a surname left out on either record is not a difference
            same_child &= Q(last_name_key=child_last) | Q(last_name_key="")
        same_person |= same_child
    parts = []
    if same_person:
        parts.append(Person.objects.filter(same_person).order_by().values("family_id"))
    if postcode and surnames:
        same_address = Person.objects.filter(last_name_key__in=surnames, family__postcode_key=postcode)
        parts.append(same_address.order_by().values("family_id"))
    if not parts:
        return []
    ids = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    families = (
        visible_families(user)
        .filter(pk__in=ids)
        .prefetch_related(_people_prefetch())
        .order_by("status", "-updated_at", "pk")[:DUPLICATES_LIMIT]
    )
    duplicates = []
    for family in families:
        people = list(family.people.all())
        reasons = []
        if phone and any(person.phone_digits == phone for person in people):
            reasons.append("same phone number")
        if child_first and child.date_of_birth and any(
            person.is_child
            and person.first_name_key == child_first
            and person.date_of_birth == child.date_of_birth
            and (not child_last or person.last_name_key in (child_last, ""))
            for person in people
        ):
            reasons.append("a child with the same name and date of birth")
        if postcode and family.postcode_key == postcode and any(person.last_name_key in surnames for person in people):
            reasons.append("same postcode and surname")
        duplicates.append(PossibleDuplicate(family=family, reasons=reasons))
    return duplicates


def families_for_list(user, *, status=Family.Status.OPEN, limit=200):
    return list(
        visible_families(user)
        .filter(status=status)
        .select_related("local_authority", "key_worker", "team")
        .prefetch_related(_people_prefetch())
        .order_by("-updated_at")[:limit]
    )


# Lists are counted no further than this (core.keyset.bounded_count): a count reads a bounded number
# of rows too.
LIST_COUNT_LIMIT = 1000


@dataclass(frozen=True)
class BoundedList:
    """A list shown a page at a time (core.keyset): the page's rows, how many rows the whole list
    has (up to LIST_COUNT_LIMIT), and the cursors of the pages before and after. Iterating it gives
    the page's rows."""

    page: KeysetPage
    count: BoundedCount

    @property
    def total(self) -> int:
        return self.count.counted

    @property
    def total_text(self) -> str:
        """How many there are, for a heading: "473", or "more than 1,000"."""
        return str(self.count)

    @property
    def rows(self) -> list:
        return self.page.rows

    @property
    def next_cursor(self) -> str | None:
        return self.page.next_cursor

    @property
    def previous_cursor(self) -> str | None:
        return self.page.previous_cursor

    def __iter__(self):
        return iter(self.page.rows)

    def __len__(self):
        return len(self.page.rows)


def bounded(queryset, *, key: str, size: int, after: str | None = None, before: str | None = None,
            descending: bool = False) -> BoundedList:
    """One keyset page of ``queryset`` sorted on (``key``, id) and how many rows it has: two queries
    on the first page, three on others, each reading a bounded number of rows whatever the length of
    the list. A cursor that cannot be read is the first page (core.keyset.parse_cursor)."""
    page = keyset_page(queryset, key=key, size=size, after=after, before=before, descending=descending)
    return BoundedList(page=page, count=bounded_count(queryset, limit=LIST_COUNT_LIMIT))


# The family page shows a page of each of its own long lists; the lists that are on the family's
# timeline (team changes) show their newest few and link to the timeline filtered to them.
FAMILY_PAGE_FOLLOW_UPS = 10
FAMILY_PAGE_TRANSFERS = 5


@dataclass(frozen=True)
class FamilyPageCursors:
    """Where each of the family page's paged lists starts (GET parameters; a cursor that cannot be
    read is the first page)."""

    to_do_after: str | None = None
    to_do_before: str | None = None
    done_after: str | None = None
    done_before: str | None = None

    @classmethod
    def from_query(cls, query) -> "FamilyPageCursors":
        return cls(**{name: query.get(name) or None for name in cls.__dataclass_fields__})


@dataclass
class FamilyPage:
    family: Family
    carers: list
    children: list
    # Still to do, soonest due first; and done, most recently done first.
    follow_ups_to_do: BoundedList
    follow_ups_done: BoundedList
    consents: list
    shared_without_consent: list
    transfers: list  # the newest FAMILY_PAGE_TRANSFERS
    transfer_count: int
    today: date

    @property
    def names(self) -> str:
        """Everyone's names, carers first, for the page's heading ("Joanne Okafor and Tyler Okafor"):
        a family opened by mistake is obvious at once."""
        names = [person.full_name for person in (*self.carers, *self.children)]
        return " and ".join(filter(None, [", ".join(names[:-1]), *names[-1:]]))


def family_page(family: Family, cursors: FamilyPageCursors | None = None) -> FamilyPage:
    """What the family page shows of the family's own records, a fixed number of queries and a
    bounded number of rows whatever its history (the "open_follow_ups_by_family" and
    "done_follow_ups_by_family" indexes)."""
    cursors = cursors or FamilyPageCursors()
    people = list(
        family.people.prefetch_related(
            "exploitation_types",
            Prefetch("risk_history", queryset=RiskLevelChange.objects.select_related("changed_by")),
            "relationships_as_carer__child",
        ).order_by("kind", "date_of_birth", "first_name")
    )
    follow_ups = family.follow_ups.select_related("owner", "done_by")
    transfers = list(
        family.transfers.select_related("from_team", "to_team", "transferred_by")
        .order_by("-transferred_at", "-pk")[:FAMILY_PAGE_TRANSFERS]
    )
    return FamilyPage(
        family=family,
        carers=[p for p in people if not p.is_child],
        children=[p for p in people if p.is_child],
        follow_ups_to_do=bounded(
            follow_ups.filter(done_at__isnull=True), key="due_on", size=FAMILY_PAGE_FOLLOW_UPS,
            after=cursors.to_do_after, before=cursors.to_do_before,
        ),
        follow_ups_done=bounded(
            follow_ups.filter(done_at__isnull=False), key="done_at", size=FAMILY_PAGE_FOLLOW_UPS,
            after=cursors.done_after, before=cursors.done_before, descending=True,
        ),
        consents=list(family.consents.select_related("given_by", "recorded_by")),
        shared_without_consent=list(family.sharing_without_consent.select_related("shared_by")),
        transfers=transfers,
        transfer_count=family.transfers.count(),
        today=timezone.localdate(),
    )


# My work shows a page of each list, the most pressing first, with how many there are in all.
MY_WORK_PAGE = 20


@dataclass(frozen=True)
class MyWorkCursors:
    """Where each of My work's lists starts (GET parameters; a cursor that cannot be read is the
    first page)."""

    follow_ups_after: str | None = None
    follow_ups_before: str | None = None
    families_after: str | None = None
    families_before: str | None = None
    team_after: str | None = None
    team_before: str | None = None
    waiting_after: str | None = None
    waiting_before: str | None = None

    @classmethod
    def from_query(cls, query) -> "MyWorkCursors":
        return cls(**{name: query.get(name) or None for name in cls.__dataclass_fields__})


@dataclass
class MyWork:
    follow_ups_due: BoundedList  # most overdue first
    key_work_families: BoundedList  # by reference (id)
    recent_contacts: list
    team_follow_ups_overdue: BoundedList | None  # most overdue first; None unless asked for
    today: date

    @property
    def families(self) -> list:
        """Every family the page names, once each (for the audit trail)."""
        shown = [*self.key_work_families]
        shown += [row.family for row in (*self.follow_ups_due, *self.recent_contacts,
                                         *(self.team_follow_ups_overdue or ()))]
        return list({family.pk: family for family in shown}.values())


def my_work(user, *, include_team=False, cursors: MyWorkCursors | None = None) -> MyWork:
    """A page of each of the user's lists, whatever their length: the follow-ups they own that are
    due (the "open_follow_ups_by_owner" index), the open families they key-work (the
    "key_work_families" index), their latest calls and, with ``include_team``, the overdue
    follow-ups of others in their teams (the "open_follow_ups_by_due" index)."""
    cursors = cursors or MyWorkCursors()
    today = timezone.localdate()
    follow_ups = FollowUp.objects.filter(
        owner=user, done_at__isnull=True, due_on__lte=today, family__team_id__in=team_ids(user)
    ).select_related("family")
    families = (
        visible_families(user)
        .filter(key_worker=user, status=Family.Status.OPEN)
        .prefetch_related(_people_prefetch())
        .select_related("local_authority")
    )
    contacts = (
        Contact.objects.filter(worker=user, family__team_id__in=team_ids(user))
        .select_related("family", "spoke_with")
        .order_by("-occurred_at")[:RECENT_CONTACTS]
    )
    team_overdue = None
    if include_team:
        team_overdue = bounded(
            FollowUp.objects.filter(done_at__isnull=True, due_on__lt=today, family__team_id__in=team_ids(user))
            .exclude(owner=user)
            .select_related("family", "owner"),
            key="due_on", size=MY_WORK_PAGE, after=cursors.team_after, before=cursors.team_before,
        )
    return MyWork(
        follow_ups_due=bounded(
            follow_ups, key="due_on", size=MY_WORK_PAGE, after=cursors.follow_ups_after,
            before=cursors.follow_ups_before,
        ),
        # In order of id, which is the order of reference (services.FAMILY_REFERENCE_FORMAT), numeric
        # past F-999999 where an order of the text would put F-1000000 before F-200000.
        key_work_families=bounded(
            families, key="id", size=MY_WORK_PAGE, after=cursors.families_after, before=cursors.families_before,
        ),
        recent_contacts=list(contacts),
        team_follow_ups_overdue=team_overdue,
        today=today,
    )


def local_authorities_to_choose(keeping_id=None):
    """The current local authorities, and the one ``keeping_id`` names even if it has since been
    abolished, so a record that names it can still be saved unchanged."""
    current = LocalAuthority.objects.filter(is_current=True)
    if keeping_id:
        current = current | LocalAuthority.objects.filter(pk=keeping_id)
    return current
