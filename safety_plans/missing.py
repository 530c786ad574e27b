"""The times a child goes missing: recording them (services) and reading them for pages
(selectors).

Every change goes through the ``missing_episode_*`` functions below, each in one transaction
(audited by django-auditlog), and ends by letting the return home interview's clock follow what
was recorded (safety_plans.deadline_kinds.episode_clock_follows). Times are stored in UTC and
described in UK time.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.audit import format_moment
from core.concurrency import save_if_unchanged
from core.errors import UserFixableError
from deadlines.models import Deadline
from families.models import Family, Person
from safety_plans.deadline_kinds import RETURN_HOME_INTERVIEW, episode_clock_follows
from safety_plans.models import MissingEpisode

# "Missing 3 times in the last 90 days": the window the child's page and the family page count in.
RECENT_DAYS = 90
# A worker's clock and ours can differ by a few minutes; anything later than this is a mistake.
FUTURE_ALLOWANCE = timedelta(minutes=5)


# ----------------------------------------------------------------------------- services


def _refuse_future(moment: datetime | None, field: str, *, now: datetime):
    if moment is not None and moment > now + FUTURE_ALLOWANCE:
        raise UserFixableError("This cannot be in the future.", field=field)


def _lock_child(family: Family, child: Person) -> Person:
    """The child's row, locked: two people recording at the same moment that the child has gone
    missing are applied one after the other, so the second is told of the first."""
    if child.family_id != family.pk or not child.is_child:
        raise ValueError("A missing episode is about a child of the family it is recorded in.")
    return Person.objects.select_for_update().get(pk=child.pk)


def _refuse_overlap(child: Person, *, went_missing_at: datetime, returned_at: datetime | None,
                    field: str, exclude_pk=None):
    """A child is missing at most once at a time: an open episode must be closed before another
    starts, and a recorded time away cannot overlap another."""
    others = MissingEpisode.objects.filter(child=child).exclude(pk=exclude_pk).order_by("went_missing_at")
    for other in others:
        if other.returned_at is None:
            if returned_at is None or returned_at > other.went_missing_at:
                raise UserFixableError(
                    f"{child.first_name} is already recorded as missing since "
                    f"{format_moment(other.went_missing_at)}; record their return first.",
                    field=field,
                )
            continue
        starts_before_other_ends = went_missing_at < other.returned_at
        ends_after_other_starts = returned_at is None or returned_at > other.went_missing_at
        if starts_before_other_ends and ends_after_other_starts:
            raise UserFixableError(
                f"{child.first_name} is recorded as missing from {format_moment(other.went_missing_at)} until "
                f"{format_moment(other.returned_at)}, which overlaps this. Check the dates and times.",
                field=field,
            )


def _check_report(went_missing_at: datetime, reported_to_police_at: datetime | None, *, now: datetime):
    _refuse_future(reported_to_police_at, "reported_to_police_at", now=now)
    if reported_to_police_at is not None and reported_to_police_at < went_missing_at:
        raise UserFixableError(
            "The report to the police cannot be before they went missing.", field="reported_to_police_at"
        )


def _check_return(went_missing_at: datetime, returned_at: datetime | None, *, now: datetime):
    _refuse_future(returned_at, "returned_at", now=now)
    if returned_at is not None and returned_at < went_missing_at:
        raise UserFixableError(
            f"They cannot have come back before they went missing ({format_moment(went_missing_at)}).",
            field="returned_at",
        )


@transaction.atomic
def missing_episode_record(*, user, family: Family, child: Person, went_missing_at: datetime,
                           reported_to_police_at: datetime | None = None, police_reference: str = "",
                           returned_at: datetime | None = None, where_found: str = "", notes: str = "",
                           now: datetime | None = None) -> MissingEpisode:
    """The child has gone missing (or, recorded afterwards, went missing and has come back)."""
    now = now or timezone.now()
    child = _lock_child(family, child)
    _refuse_future(went_missing_at, "went_missing_at", now=now)
    _check_report(went_missing_at, reported_to_police_at, now=now)
    _check_return(went_missing_at, returned_at, now=now)
    _refuse_overlap(child, went_missing_at=went_missing_at, returned_at=returned_at, field="went_missing_at")
    episode = MissingEpisode.objects.create(
        child=child, family=family, went_missing_at=went_missing_at, reported_to_police_at=reported_to_police_at,
        police_reference=police_reference, returned_at=returned_at,
        where_found=where_found if returned_at else "", notes=notes, recorded_by=user,
    )
    episode_clock_follows(episode, now=now)
    return episode


@transaction.atomic
def missing_episode_update(*, user, episode: MissingEpisode, expected_version: int, went_missing_at: datetime,
                           reported_to_police_at: datetime | None, police_reference: str, notes: str,
                           now: datetime | None = None) -> MissingEpisode:
    """Correct when they went missing, or record the report to the police made since."""
    now = now or timezone.now()
    child = _lock_child(episode.family, episode.child)
    _refuse_future(went_missing_at, "went_missing_at", now=now)
    _check_report(went_missing_at, reported_to_police_at, now=now)
    if episode.returned_at is not None and episode.returned_at < went_missing_at:
        raise UserFixableError(
            f"They came back at {format_moment(episode.returned_at)}: they cannot have gone missing after that.",
            field="went_missing_at",
        )
    _refuse_overlap(child, went_missing_at=went_missing_at, returned_at=episode.returned_at,
                    field="went_missing_at", exclude_pk=episode.pk)
    episode.went_missing_at = went_missing_at
    episode.reported_to_police_at = reported_to_police_at
    episode.police_reference = police_reference
    episode.notes = notes
    save_if_unchanged(episode, expected_version)
    episode_clock_follows(episode, now=now)
    return episode


@transaction.atomic
def missing_episode_record_return(*, user, episode: MissingEpisode, expected_version: int, returned_at: datetime,
                                  where_found: str = "", now: datetime | None = None) -> MissingEpisode:
    """The child has come back (or the time they came back is corrected): the return home
    interview is due within 72 hours of it."""
    now = now or timezone.now()
    child = _lock_child(episode.family, episode.child)
    _check_return(episode.went_missing_at, returned_at, now=now)
    if episode.interview_done_at is not None and episode.interview_done_at < returned_at:
        raise UserFixableError(
            f"The return home interview was done at {format_moment(episode.interview_done_at)}, before this.",
            field="returned_at",
        )
    _refuse_overlap(child, went_missing_at=episode.went_missing_at, returned_at=returned_at,
                    field="returned_at", exclude_pk=episode.pk)
    episode.returned_at = returned_at
    episode.where_found = where_found
    save_if_unchanged(episode, expected_version)
    episode_clock_follows(episode, now=now)
    return episode


@transaction.atomic
def missing_episode_record_interview(*, user, episode: MissingEpisode, expected_version: int,
                                     interview_offered_at: datetime | None, interview_done_at: datetime | None,
                                     interview_by: str = "", now: datetime | None = None) -> MissingEpisode:
    """The return home interview was offered, or done (by whom, when): done meets its clock."""
    now = now or timezone.now()
    _lock_child(episode.family, episode.child)
    if episode.returned_at is None:
        raise UserFixableError(f"Record {episode.child.first_name}'s return first.")
    if interview_offered_at is None and interview_done_at is None:
        raise UserFixableError("Say when the interview was offered, or when it was done.", field="interview_offered_at")
    for moment, field in ((interview_offered_at, "interview_offered_at"), (interview_done_at, "interview_done_at")):
        _refuse_future(moment, field, now=now)
        if moment is not None and moment < episode.returned_at:
            raise UserFixableError(
                f"This is before they came back ({format_moment(episode.returned_at)}).", field=field
            )
    if interview_offered_at and interview_done_at and interview_done_at < interview_offered_at:
        raise UserFixableError("The interview cannot be done before it was offered.", field="interview_done_at")
    if interview_done_at is not None and not interview_by.strip():
        raise UserFixableError("Say who did the interview.", field="interview_by")
    episode.interview_offered_at = interview_offered_at
    episode.interview_done_at = interview_done_at
    episode.interview_by = interview_by.strip()
    save_if_unchanged(episode, expected_version)
    episode_clock_follows(episode, now=now)
    return episode


# ----------------------------------------------------------------------------- selectors


def episode_for(family: Family, child: Person, episode_pk) -> MissingEpisode:
    """One of the child's episodes (Http404 otherwise), with its child and family."""
    episode = get_object_or_404(MissingEpisode.objects.filter(family=family, child=child), pk=episode_pk)
    episode.family, episode.child = family, child
    return episode


def missing_now(family: Family) -> list[MissingEpisode]:
    """The family's children missing now, with the child (one query; the "missing_now" index)."""
    return list(
        MissingEpisode.objects.filter(family=family, returned_at__isnull=True)
        .select_related("child")
        .order_by("went_missing_at", "pk")
    )


@dataclass(frozen=True)
class ChildMissingSummary:
    child: Person
    recent_count: int
    last_went_missing_at: datetime | None


def missing_by_child(family: Family, *, now: datetime | None = None) -> list[ChildMissingSummary]:
    """Each child of the family with how often they went missing in the last RECENT_DAYS and when
    they last did (one query), for the family page's links to each child's episodes."""
    now = now or timezone.now()
    children = (
        family.people.filter(kind=Person.Kind.CHILD)
        .annotate(
            recent_count=Count(
                "missing_episodes", filter=Q(missing_episodes__went_missing_at__gte=now - timedelta(days=RECENT_DAYS))
            ),
            last_went_missing_at=Max("missing_episodes__went_missing_at"),
        )
        .order_by("date_of_birth", "first_name", "pk")
    )
    return [ChildMissingSummary(child, child.recent_count, child.last_went_missing_at) for child in children]


@dataclass(frozen=True)
class EpisodeRow:
    episode: MissingEpisode
    # The return home interview's clock (None before the return, or for an episode recorded before
    # the clock existed).
    interview_deadline: Deadline | None
    now: datetime

    @property
    def time_away(self) -> timedelta:
        return (self.episode.returned_at or self.now) - self.episode.went_missing_at

    @property
    def time_away_text(self) -> str:
        return duration_in_words(self.time_away)

    @property
    def interview_overdue(self) -> bool:
        deadline = self.interview_deadline
        return bool(deadline and deadline.is_open and self.now > deadline.due_at)


@dataclass(frozen=True)
class TimelineMark:
    """One episode on the 90-day strip: where it starts and how wide it is, as percentages."""

    row: EpisodeRow
    left: float
    width: float


@dataclass
class ChildMissingPage:
    child: Person
    open_episode: MissingEpisode | None
    recent: list[EpisodeRow]
    earlier: list[EpisodeRow]
    timeline: list[TimelineMark]
    window_start: datetime
    now: datetime

    @property
    def recent_count(self) -> int:
        return len(self.recent)

    @property
    def all_rows(self) -> list[EpisodeRow]:
        return self.recent + self.earlier


def duration_in_words(span: timedelta) -> str:
    minutes = max(int(span.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'' if days == 1 else 's'}")
    if hours:
        parts.append(f"{hours} hour{'' if hours == 1 else 's'}")
    if not days and (minutes or not hours):
        parts.append(f"{minutes} minute{'' if minutes == 1 else 's'}")
    return " ".join(parts)


def _timeline(rows: list[EpisodeRow], *, start: datetime, now: datetime) -> list[TimelineMark]:
    span = (now - start).total_seconds()
    marks = []
    for row in rows:
        begins = max(row.episode.went_missing_at, start)
        ends = min(row.episode.returned_at or now, now)
        left = (begins - start).total_seconds() / span * 100
        # At least a sliver, so an hour away is still visible on a 90-day strip.
        width = max((ends - begins).total_seconds() / span * 100, 0.6)
        marks.append(TimelineMark(row=row, left=round(min(left, 99.4), 2), width=round(min(width, 100 - left), 2)))
    return marks


def child_missing_page(family: Family, child: Person, *, now: datetime | None = None) -> ChildMissingPage:
    """The child's episodes, the last RECENT_DAYS first, each with its return home interview's
    clock. Two queries, whatever the number of episodes."""
    now = now or timezone.now()
    episodes = list(MissingEpisode.objects.filter(child=child, family=family).select_related("recorded_by"))
    for episode in episodes:
        episode.family, episode.child = family, child
    # The latest clock of each episode: a corrected return replaces the earlier one (cancelled).
    deadlines = {}
    for deadline in (
        Deadline.objects.filter(
            kind=RETURN_HOME_INTERVIEW,
            subject_type__app_label=MissingEpisode._meta.app_label,
            subject_type__model=MissingEpisode._meta.model_name,
            subject_id__in=[episode.pk for episode in episodes],
            cancelled_at__isnull=True,
        ).order_by("created_at", "pk")
    ):
        deadlines[deadline.subject_id] = deadline
    window_start = now - timedelta(days=RECENT_DAYS)
    rows = [EpisodeRow(episode, deadlines.get(episode.pk), now) for episode in episodes]
    recent = [row for row in rows if row.episode.went_missing_at >= window_start]
    earlier = [row for row in rows if row.episode.went_missing_at < window_start]
    return ChildMissingPage(
        child=child,
        open_episode=next((episode for episode in episodes if episode.is_missing_now), None),
        recent=recent,
        earlier=earlier,
        timeline=_timeline(
            [row for row in rows if (row.episode.returned_at or now) >= window_start], start=window_start, now=now
        ),
        window_start=window_start,
        now=now,
    )
