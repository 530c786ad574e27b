"""Reads that pages need, each a fixed number of queries whatever the data size."""

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from core.validators import phone_digits
from families.models import Contact, Family, FollowUp, LocalAuthority, Person, RiskLevelChange
from families.permissions import team_ids, visible_families

SEARCH_LIMIT = 20
RECENT_CONTACTS = 10
_REFERENCE = re.compile(r"^f-?0*(\d+)$", re.IGNORECASE)


def _people_prefetch():
    return Prefetch("people", queryset=Person.objects.order_by("kind", "first_name"))


def family_search(user, text: str):
    """Families of the user's teams matching a family member's name, the reference,
    a phone number or a postcode. Two queries: families, then their people."""
    text = " ".join(text.split())
    if len(text) < 2:
        return []
    matches = Q()
    reference = _REFERENCE.match(text.replace(" ", ""))
    if reference:
        matches |= Q(reference=f"F-{int(reference.group(1)):06d}")
    digits = phone_digits(text)
    if len(digits) >= 4 and len(digits) >= len(re.sub(r"[\s+()-]", "", text)):
        matches |= Q(Exists(Person.objects.filter(family=OuterRef("pk"), phone_digits__contains=digits)))
    compact = text.replace(" ", "").upper()
    if re.match(r"^[A-Z]{1,2}\d", compact):
        matches |= Q(postcode__startswith=text.upper()) | Q(postcode__startswith=compact)
    words = text.split(" ")
    name_match = Person.objects.filter(family=OuterRef("pk"))
    for word in words:
        name_match = name_match.filter(Q(first_name__istartswith=word) | Q(last_name__istartswith=word))
    matches |= Q(Exists(name_match))
    return list(
        visible_families(user)
        .filter(matches)
        .select_related("local_authority", "key_worker")
        .prefetch_related(_people_prefetch())
        .order_by("status", "-updated_at")[:SEARCH_LIMIT]
    )


def families_for_list(user, *, status=Family.Status.OPEN, limit=200):
    return list(
        visible_families(user)
        .filter(status=status)
        .select_related("local_authority", "key_worker", "team")
        .prefetch_related(_people_prefetch())
        .order_by("-updated_at")[:limit]
    )


@dataclass
class FamilyPage:
    family: Family
    carers: list
    children: list
    follow_ups: list
    consents: list
    transfers: list
    today: date


def family_page(family: Family) -> FamilyPage:
    people = list(
        family.people.prefetch_related(
            "exploitation_types",
            Prefetch("risk_history", queryset=RiskLevelChange.objects.select_related("changed_by")),
            "relationships_as_carer__child",
        ).order_by("kind", "date_of_birth", "first_name")
    )
    follow_ups = list(family.follow_ups.select_related("owner", "done_by").order_by("done_at", "due_on"))
    return FamilyPage(
        family=family,
        carers=[p for p in people if not p.is_child],
        children=[p for p in people if p.is_child],
        follow_ups=follow_ups,
        consents=list(family.consents.select_related("given_by", "recorded_by")),
        transfers=list(family.transfers.select_related("from_team", "to_team", "transferred_by")),
        today=timezone.localdate(),
    )


@dataclass
class MyWork:
    follow_ups_due: list
    key_work_families: list
    recent_contacts: list
    team_follow_ups_overdue: list
    today: date


def my_work(user, *, include_team=False) -> MyWork:
    today = timezone.localdate()
    follow_ups = (
        FollowUp.objects.filter(owner=user, done_at__isnull=True, due_on__lte=today, family__team_id__in=team_ids(user))
        .select_related("family")
        .order_by("due_on", "pk")
    )
    families = (
        visible_families(user)
        .filter(key_worker=user, status=Family.Status.OPEN)
        .prefetch_related(_people_prefetch())
        .select_related("local_authority")
        .order_by("reference")
    )
    contacts = (
        Contact.objects.filter(worker=user, family__team_id__in=team_ids(user))
        .select_related("family", "spoke_with")
        .order_by("-occurred_at")[:RECENT_CONTACTS]
    )
    team_overdue = []
    if include_team:
        team_overdue = list(
            FollowUp.objects.filter(done_at__isnull=True, due_on__lt=today, family__team_id__in=team_ids(user))
            .exclude(owner=user)
            .select_related("family", "owner")
            .order_by("due_on", "pk")[:50]
        )
    return MyWork(
        follow_ups_due=list(follow_ups),
        key_work_families=list(families),
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
