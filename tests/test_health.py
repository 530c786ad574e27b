"""/health/ answers the load balancer and compose: the database, the broker, the overdue job."""

import socket
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deadlines.models import OverdueWatermark


@pytest.fixture
def closed_port():
    """A local port nothing listens on: bound for a moment to find a free one, then let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def recent_overdue_run(db):
    return OverdueWatermark.objects.create(pk=1, checked_until=timezone.now() - timedelta(minutes=2))


def test_healthy_answers_200_without_signing_in_or_personal_data(client, recent_overdue_run, cast):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok", "overdue_job": "ok"}
    assert 100 <= body["overdue_job_last_ran_seconds_ago"] <= 200
    assert cast.family.reference not in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_the_checks_take_at_most_three_queries(client, recent_overdue_run):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("health"))
    assert response.status_code == 200
    assert len(queries) <= 3, [query["sql"] for query in queries]


def test_an_unreachable_broker_answers_503_naming_the_broker(client, recent_overdue_run, settings, closed_port):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    response = client.get(reverse("health"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failed"
    assert body["failed"] == ["broker"]
    assert body["checks"]["database"] == "ok"


def test_an_overdue_job_that_stopped_running_answers_503(client, recent_overdue_run, settings):
    recent_overdue_run.checked_until = timezone.now() - timedelta(minutes=settings.OVERDUE_CHECK_MINUTES * 3 + 1)
    recent_overdue_run.save()
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["failed"] == ["overdue_job"]


def test_before_the_overdue_job_first_runs_the_instance_is_healthy(client, db):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json()["overdue_job_last_ran_seconds_ago"] is None


@pytest.mark.django_db
def test_only_get_is_answered_and_csrf_does_not_apply(settings):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.get(reverse("health")).status_code == 200
    assert csrf_client.post(reverse("health")).status_code == 405
