"""Reads of the directory of agencies and professionals.

The directory is shared by every team: anyone in a team reads and edits it, and nobody else
learns that an agency or a person is in it (404, as for a family they cannot see).
"""

from difflib import SequenceMatcher

from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from agencies.models import Agency, Professional, name_key
from families import permissions

AGENCIES_PER_PAGE = 50
SIMILAR_NAMES = 5
# Two normalised names at least this alike (difflib's ratio) are offered as the same person:
# "jo oneil" and "jo oneill" are 0.94, "sam oneill" and "jo oneill" 0.74.
CLOSE_NAME_RATIO = 0.85


def may_use_directory(user) -> bool:
    return bool(user.is_authenticated and user.is_active) and permissions.teams_of(user).exists()


def refuse_unless_may_use_directory(user) -> None:
    if not may_use_directory(user):
        raise Http404


def agency_for(user, pk) -> Agency:
    """The agency ``pk`` if ``user`` may use the directory, else Http404."""
    refuse_unless_may_use_directory(user)
    return get_object_or_404(Agency.objects.select_related("local_authority"), pk=pk)


def professional_for(user, agency: Agency, pk) -> Professional:
    """A professional of ``agency`` (already fetched through ``agency_for``), else Http404."""
    refuse_unless_may_use_directory(user)
    return get_object_or_404(agency.professionals.select_related("agency"), pk=pk)


# The authority filter's value for agencies that work everywhere (local_authority empty).
NATIONAL = "national"


def agencies_page(*, local_authority: str = "", kind: str = "", page_number=1):
    """One page of agencies, grouped by authority (national ones last), each with how many people
    are recorded in it: three queries whatever the directory's size (count, page, nothing else)."""
    agencies = Agency.objects.select_related("local_authority").annotate(professional_count=Count("professionals"))
    if local_authority == NATIONAL:
        agencies = agencies.filter(local_authority__isnull=True)
    elif local_authority:
        agencies = agencies.filter(local_authority_id=local_authority)
    if kind:
        agencies = agencies.filter(kind=kind)
    agencies = agencies.order_by(F("local_authority__name").asc(nulls_last=True), "name", "pk")
    return Paginator(agencies, AGENCIES_PER_PAGE).get_page(page_number)


def professionals_of(agency: Agency) -> list[Professional]:
    return list(agency.professionals.order_by("full_name", "pk"))


def similar_professionals(name: str, agency: Agency | None = None, *, limit: int = SIMILAR_NAMES
                          ) -> list[Professional]:
    """People already in the directory who may be the person called ``name``: the same normalised
    name ("Ms J. O’Neill" and "j oneill"), the same surname with the same first initial ("Jo O'Neill"
    and "Joanne O'Neill"), the surname alone, or a name at least CLOSE_NAME_RATIO alike ("Jo O'Neil").
    Those in ``agency`` come first, then the closest.

    One query, reading only rows found through the name_key index: the exact name, the surname
    alone, and names starting with the same initial whose surname starts with the same two letters
    (on PostgreSQL a prefix LIKE uses the index Django adds for an indexed CharField). A name of one
    word is matched exactly only: "Smith" alone is too little to suggest anyone."""
    key = name_key(name)
    words = key.split()
    if not words:
        return []
    surname = words[-1]
    nearby = Q(name_key=key)
    if len(words) > 1:
        nearby |= Q(name_key=surname) | Q(name_key__startswith=words[0][0], name_key__contains=" " + surname[:2])
    candidates = Professional.objects.filter(nearby).select_related("agency__local_authority").order_by("pk")

    def closeness(professional):
        other = professional.name_key
        if other == key:
            return 2.0
        other_words = other.split()
        if other_words[-1] == surname and (len(other_words) == 1 or other_words[0][0] == words[0][0]):
            return 1.5
        return SequenceMatcher(None, key, other).ratio()

    scored = [(closeness(professional), professional) for professional in candidates]
    matches = [(score, professional) for score, professional in scored if score >= CLOSE_NAME_RATIO]
    agency_pk = agency.pk if agency is not None else None
    matches.sort(key=lambda pair: (pair[1].agency_id != agency_pk, -pair[0], pair[1].full_name, pair[1].pk))
    return [professional for _, professional in matches[:limit]]


def agency_named(name: str, *, local_authority_id=None):
    """The directory's agency of exactly this name (any case) in the authority, or a national one;
    None when the name is someone's own words ("Mum", "Grandad"), which stay free text."""
    name = " ".join((name or "").split())
    if not name:
        return None
    return (
        Agency.objects.filter(name__iexact=name)
        .filter(Q(local_authority_id=local_authority_id) | Q(local_authority__isnull=True))
        .order_by(F("local_authority").asc(nulls_last=True))
        .first()
    )
