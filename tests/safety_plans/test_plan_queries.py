"""The plan's pages run the same number of queries with 2 rows in each list as with 20, and with
2 versions as with 20; the family page's section reads every child's plan in one query."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safety_plans import selectors, services
from safety_plans.models import Commitment, PersonOfConcern, PlanStep, SafetyPlan, SafetyRating, Worry
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def url(cast, name):
    return reverse(f"safety_plans:{name}", args=[cast.family.pk, cast.child.pk])


@pytest.fixture
def plan(cast):
    plan = SafetyPlan(child=cast.child, family=cast.family, school="Year 9")
    services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=0)
    return plan


def grow_lists(plan, user, count):
    """``count`` more rows in each list and ratings, written directly (one version is enough here)."""
    for n in range(count):
        Worry.objects.create(plan=plan, position=n, who_is_worried="Mum", worry=f"Worry {n}")
        PersonOfConcern.objects.create(plan=plan, position=n, name_or_description=f"Person {n}")
        PlanStep.objects.create(plan=plan, position=n, if_this_happens=f"If {n}", then_we_do="Ring")
        Commitment.objects.create(plan=plan, position=n, who="School", commitment=f"Do {n}",
                                  due_on=datetime.date(2026, 6, 1))
        SafetyRating.objects.create(plan=plan, rated_by=f"Party {n % 3}", score=n % 11,
                                    rated_on=datetime.date(2026, 1, 1) + datetime.timedelta(days=n), recorded_by=user)


def grow_versions(plan, user, count):
    for n in range(count):
        plan.refresh_from_db()
        plan.school = f"Year {n}-{plan.version}"
        services.safety_plan_save(user=user, plan=plan, expected_version=plan.version)


def count(client, address):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries), [q["sql"] for q in queries.captured_queries]


def test_the_plan_page_does_not_grow_with_its_lists(cast, plan, key_worker_client):
    grow_lists(plan, cast.key_worker, 2)
    small, _ = count(key_worker_client, url(cast, "plan"))
    grow_lists(plan, cast.key_worker, 18)
    large, sql = count(key_worker_client, url(cast, "plan"))
    assert small == large, "\n".join(sql)


def test_the_versions_and_compare_pages_do_not_grow_with_versions(cast, plan, key_worker_client):
    grow_lists(plan, cast.key_worker, 3)
    grow_versions(plan, cast.key_worker, 1)
    compare = url(cast, "plan_compare") + "?from=1&to=2"
    small_list, _ = count(key_worker_client, url(cast, "plan_versions"))
    small_compare, _ = count(key_worker_client, compare)
    grow_versions(plan, cast.key_worker, 18)
    large_list, sql = count(key_worker_client, url(cast, "plan_versions"))
    assert small_list == large_list, "\n".join(sql)
    large_compare, sql = count(key_worker_client, url(cast, "plan_compare") + "?from=1&to=20")
    assert small_compare == large_compare, "\n".join(sql)


def test_pinned_query_counts(cast, plan, key_worker_client, django_assert_num_queries):
    """Pinned so that a change adding a query is noticed. Each page's count includes 10 every plan
    page runs: reading the session, the user and the second factor's device (3), renewing the session
    (3, in a savepoint), the navigation bar (1), the family and the child (2), and recording the view
    (1)."""
    grow_lists(plan, cast.key_worker, 2)
    grow_versions(plan, cast.key_worker, 1)
    with django_assert_num_queries(17):  # the plan, its 4 lists and its ratings (6), its latest version (1)
        key_worker_client.get(url(cast, "plan"))
    with django_assert_num_queries(12):  # the plan (1), a page of versions (1)
        key_worker_client.get(url(cast, "plan_versions"))
    with django_assert_num_queries(12):  # the plan (1), the two versions (1)
        key_worker_client.get(url(cast, "plan_compare") + "?from=1&to=2")


def test_the_family_section_reads_every_childs_plan_in_one_query(cast, plan, django_assert_num_queries):
    grow_versions(plan, cast.key_worker, 2)
    second = ChildFactory(family=cast.family, first_name="Amara")
    with django_assert_num_queries(1):
        items = selectors.plans_for_family(cast.family)
        summary = [(item.child.first_name, item.version_count, item.plan is not None) for item in items]
    assert sorted(summary) == [("Amara", 0, False), ("Tyler", 3, True)]
    assert second.pk in {item.child.pk for item in items}


def test_the_family_section_template(cast, plan):
    from django.template.loader import render_to_string

    html = render_to_string("safety_plans/_family_section.html",
                            {"family": cast.family, "section": selectors.plans_for_family(cast.family)})
    ChildFactory(family=cast.family, first_name="Amara")
    html_two = render_to_string("safety_plans/_family_section.html",
                                {"family": cast.family, "section": selectors.plans_for_family(cast.family)})
    assert "Open Tyler's safety plan" in html
    assert "Start a safety plan for Amara" in html_two
