"""No page or download that holds anything about a family is kept by the browser: every response
says Cache-Control: no-store, except static files, which keep WhiteNoise's long caching."""

import datetime

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from safety_plans import services as plan_services
from safety_plans.models import SafetyPlan
from tests.conftest import client_for


def assert_not_stored(response):
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert "no-store" in cache_control, response.get("Cache-Control")
    assert response["Pragma"] == "no-cache"


@pytest.fixture
def plan(cast):
    plan = SafetyPlan(child=cast.child, family=cast.family, warning_signs="Out late with older friends",
                      review_on=datetime.date(2026, 9, 1))
    plan_services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=0)
    return plan


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "args", "content_type"),
    [
        ("home", lambda cast: [], "text/html"),
        ("families:detail", lambda cast: [cast.family.pk], "text/html"),
        # The queue and the figures are a manager's.
        ("deadlines:queue", lambda cast: [], "text/html"),
        ("deadlines:queue_export", lambda cast: [], "text/csv"),
        ("meetings:figures_export", lambda cast: [], "text/csv"),
        ("referrals:pack", lambda cast: [cast.family.pk], "text/html"),
        ("referrals:pack_pdf", lambda cast: [cast.family.pk], "application/pdf"),
        ("safety_plans:plan_family_copy_pdf", lambda cast: [cast.family.pk, cast.child.pk], "application/pdf"),
    ],
)
def test_every_signed_in_page_and_download_is_not_stored(cast, plan, name, args, content_type):
    managing = name.startswith(("deadlines:", "meetings:figures"))
    response = client_for(cast.manager if managing else cast.key_worker).get(reverse(name, args=args(cast)))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert_not_stored(response)


@pytest.mark.django_db
def test_search_results_are_not_stored(cast, key_worker_client):
    response = key_worker_client.post(reverse("families:search"), {"q": "Okafor"})
    assert response.status_code == 200
    assert cast.family.reference in response.content.decode()
    assert_not_stored(response)


@pytest.mark.django_db
def test_sign_in_page_refusals_and_redirects_are_not_stored(cast, client):
    assert_not_stored(client.get(reverse("login")))
    assert_not_stored(client.post(reverse("login"), {"username": "nobody@pace.example.org", "password": "wrong"}))
    # Signed out, a case page redirects to sign in; another team's family is refused.
    assert_not_stored(client.get(reverse("families:detail", args=[cast.family.pk])))
    refused = client_for(cast.outsider).get(reverse("families:detail", args=[cast.family.pk]))
    assert refused.status_code == 404
    assert_not_stored(refused)


@pytest.mark.django_db
def test_static_files_keep_their_own_caching(client, settings):
    # Tests run without collectstatic: WhiteNoise serves the source folders, as it does in development.
    settings.WHITENOISE_USE_FINDERS = True
    assert finders.find("css/app.css")
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "max-age" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]
    assert "Pragma" not in response
