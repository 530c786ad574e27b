"""A parent liaison officer's home page: plans due for review, commitments past their date,
children missing or back without a return home interview, and intelligence not yet passed to
the police, for their teams' families only, each with a link to act on it."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from families.models import Role
from safety_plans import missing
from safety_plans.models import Commitment, IntelligenceEntry, SafetyPlan
from safety_plans.plo_home import plo_work
from tests.conftest import client_for
from tests.factories import ChildFactory, FamilyFactory, MembershipFactory

LONDON = ZoneInfo("Europe/London")
# Wednesday 10 March 2027, 09:00.
NOW = datetime.datetime(2027, 3, 10, 9, 0, tzinfo=LONDON)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def plo(cast):
    return MembershipFactory(team=cast.family.team, role=Role.PLO).user


def days(n):
    return TODAY + datetime.timedelta(days=n)


def plan_for(child, *, review_in=None, user):
    return SafetyPlan.objects.create(
        child=child, family=child.family, created_by=user,
        review_on=days(review_in) if review_in is not None else None,
    )


def commitment_for(plan, *, due_in, status=Commitment.Status.OPEN, who="School"):
    return Commitment.objects.create(plan=plan, who=who, commitment=f"{who} rings mum each Friday",
                                     due_on=days(due_in), status=status)


def intelligence_for(family, *, passed=False, description="Grey car outside school at 15:30", user):
    return IntelligenceEntry.objects.create(
        family=family, kind=IntelligenceEntry.Kind.VEHICLE, observed_at=NOW - datetime.timedelta(days=2),
        description=description, source="Mum saw it", recorded_by=user,
        passed_to_police_on=days(-1) if passed else None,
    )


def episode_for(child, *, user, away_since_hours, back_hours_ago=None, interview_done=False):
    episode = missing.missing_episode_record(
        user=user, family=child.family, child=child,
        went_missing_at=timezone.now() - datetime.timedelta(hours=away_since_hours),
        returned_at=timezone.now() - datetime.timedelta(hours=back_hours_ago) if back_hours_ago is not None else None,
    )
    if interview_done:
        missing.missing_episode_record_interview(
            user=user, episode=episode, expected_version=episode.version, interview_offered_at=None,
            interview_done_at=episode.returned_at + datetime.timedelta(hours=20), interview_by="Sam",
        )
    return episode


def work_for(family, *, user, name="Tyler"):
    """One of each kind that the home lists, and one of each that it must not, for ``family``."""
    child = ChildFactory(family=family, first_name=name)
    due = plan_for(child, review_in=10, user=user)
    plan_for(ChildFactory(family=family, first_name=f"{name}-later"), review_in=20, user=user)
    overdue = commitment_for(due, due_in=-3, who=f"{name} school")
    commitment_for(due, due_in=-3, status=Commitment.Status.DONE, who=f"{name} done")
    commitment_for(due, due_in=1, who=f"{name} not yet")
    missing_now = episode_for(child, user=user, away_since_hours=5)
    sibling = ChildFactory(family=family, first_name=f"{name}-sibling")
    back = episode_for(sibling, user=user, away_since_hours=60, back_hours_ago=40)
    episode_for(sibling, user=user, away_since_hours=300, back_hours_ago=280)  # back 11 days ago
    episode_for(sibling, user=user, away_since_hours=100, back_hours_ago=90, interview_done=True)
    entry = intelligence_for(family, user=user, description=f"{name}: grey car outside school")
    intelligence_for(family, passed=True, user=user, description=f"{name}: passed on already")
    return {"plan": due, "commitment": overdue, "missing_now": missing_now, "back": back, "entry": entry}


def urls_of(items):
    plan, commitment, entry = items["plan"], items["commitment"], items["entry"]
    return {
        "plan": reverse("safety_plans:plan", args=[plan.family_id, plan.child_id]),
        "commitment": reverse("safety_plans:plan", args=[plan.family_id, plan.child_id]) + "#network",
        "missing_now": reverse("safety_plans:missing", args=[plan.family_id, items["missing_now"].child_id])
        + f"#episode-{items['missing_now'].pk}",
        "back": reverse("safety_plans:missing", args=[plan.family_id, items["back"].child_id])
        + f"#episode-{items['back'].pk}",
        "intelligence": reverse("safety_plans:intelligence", args=[entry.family_id]),
        "commitment_text": commitment.who,
    }


@pytest.mark.django_db
def test_the_plo_home_lists_each_kind_of_work_for_their_teams_only(cast, plo):
    ours = work_for(cast.family, user=plo)
    their_family = FamilyFactory()
    theirs = work_for(their_family, user=cast.outsider, name="Kai")

    work = plo_work(plo, TODAY)
    assert [item.record for item in work.plans_due_for_review.items] == [ours["plan"]]
    assert [item.record for item in work.commitments_overdue.items] == [ours["commitment"]]
    assert [item.record for item in work.children_missing_or_back.items] == [ours["missing_now"], ours["back"]]
    assert [item.record for item in work.intelligence_not_passed.items] == [ours["entry"]]
    back = work.children_missing_or_back.items[1].record
    assert back.interview_due_at == back.returned_at + datetime.timedelta(hours=72)

    html = client_for(plo).get(reverse("home")).content.decode()
    for key, url in urls_of(ours).items():
        assert url in html, key
    for key, url in urls_of(theirs).items():
        assert url not in html, key
    assert f"({their_family.reference})" not in html
    for absent in ("Tyler-later", "Tyler done", "Tyler not yet", "passed on already"):
        assert absent not in html, absent
    assert f"Tyler ({cast.family.reference})</a>:\n      <strong>missing since" in html
    due = timezone.localtime(back.interview_due_at)
    assert f"return home interview due by {due:%A} {due.day} {due:%B %Y, %H:%M}" in html


@pytest.mark.django_db
def test_plans_due_for_review_soonest_first_and_overdue_reviews_included(cast, plo):
    later = plan_for(ChildFactory(family=cast.family), review_in=14, user=plo)
    overdue = plan_for(ChildFactory(family=cast.family), review_in=-5, user=plo)
    soon = plan_for(ChildFactory(family=cast.family), review_in=2, user=plo)
    plan_for(ChildFactory(family=cast.family), review_in=15, user=plo)
    plan_for(ChildFactory(family=cast.family), user=plo)
    assert [item.record for item in plo_work(plo, TODAY).plans_due_for_review.items] == [overdue, soon, later]


@pytest.mark.django_db
def test_intelligence_only_for_those_who_may_see_it(cast, plo):
    """Caseworkers do not see intelligence; a PLO of one team who is a caseworker in another sees only
    the first team's."""
    ours = intelligence_for(cast.family, user=plo, description="Seen by the park gates")
    other_family = FamilyFactory()
    MembershipFactory(user=plo, team=other_family.team, role=Role.CASEWORKER)
    intelligence_for(other_family, user=plo, description="Phone number from a contact")
    elsewhere_plan = plan_for(ChildFactory(family=other_family), review_in=3, user=plo)

    html = client_for(plo).get(reverse("home")).content.decode()
    assert "Intelligence not yet passed to the police" in html
    assert "Seen by the park gates" in html
    assert "Phone number from a contact" not in html
    # Their caseworker's reach in the other team still lists its plans.
    assert reverse("safety_plans:plan", args=[other_family.pk, elsewhere_plan.child_id]) in html
    assert [item.record for item in plo_work(plo, TODAY).intelligence_not_passed.items] == [ours]

    assert plo_work(cast.key_worker, TODAY).intelligence_not_passed is None
    caseworker_home = client_for(cast.key_worker).get(reverse("home")).content.decode()
    assert "Intelligence not yet passed" not in caseworker_home


@pytest.mark.django_db
def test_each_list_is_bounded_and_says_so(cast, plo):
    for n in range(4):
        plan_for(ChildFactory(family=cast.family), review_in=n, user=plo)
    work = plo_work(plo, TODAY, limit=3)
    assert len(work.plans_due_for_review.items) == 3 and work.plans_due_for_review.more
    assert not work.commitments_overdue.more


def add_work(cast, plo, count):
    for n in range(count):
        family = FamilyFactory(team=cast.family.team)
        work_for(family, user=plo, name=f"Child{n}")


def home_queries(plo):
    client = client_for(plo)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(captured), [query["sql"] for query in captured.captured_queries]


@pytest.mark.django_db
def test_the_plo_home_query_count_is_pinned(cast, plo, django_assert_num_queries):
    """Reading and renewing the session (1 + 3 with its savepoint), the user (1), the second factor's
    device (1), the navigation bar
    (1), the home role (1), the shared My work (7: follow-ups due, key-work families and waiting on
    children's social care, each a page and how many; calls) and plo_work (5: plans, commitments,
    episodes, whether they may see intelligence, the intelligence)."""
    add_work(cast, plo, 2)
    small, _ = home_queries(plo)
    add_work(cast, plo, 18)
    large, sql = home_queries(plo)
    assert small == large, "\n".join(sql)
    client = client_for(plo)
    with django_assert_num_queries(PINNED_PLO_HOME_QUERIES):
        client.get(reverse("home"))


PINNED_PLO_HOME_QUERIES = 22  # with 1 for hand-overs waiting to be read, 1 to record the families listed
