"""/health/: is this instance fit to serve? For the load balancer and compose's healthcheck.

Three checks, each cheap and each with a short timeout: the database answers a trivial query, the
Celery broker answers a ping, and the overdue job has run recently (its watermark is fresh), since a
silent overdue job means no one is told of a child's missed deadline. No personal data, no sign-in,
at most two queries.
"""

import logging
from datetime import timedelta
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from deadlines.models import OverdueWatermark

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2
# The overdue job runs every OVERDUE_CHECK_MINUTES; missing this many runs in a row is a failure.
MISSED_OVERDUE_RUNS = 3


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _broker():
    url = settings.CELERY_BROKER_URL
    if urlsplit(url).scheme not in ("redis", "rediss"):
        return  # The embedded filesystem broker has no server to be down.
    client = redis.Redis.from_url(
        url, socket_timeout=BROKER_TIMEOUT_SECONDS, socket_connect_timeout=BROKER_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


def _overdue_run_age():
    """Seconds since the overdue job last ran, or None before its first run (a new installation)."""
    checked_until = OverdueWatermark.objects.values_list("checked_until", flat=True).first()
    if checked_until is None:
        return None
    age = timezone.now() - checked_until
    allowed = timedelta(minutes=settings.OVERDUE_CHECK_MINUTES * MISSED_OVERDUE_RUNS)
    if age > allowed:
        raise RuntimeError(f"the overdue job last ran {int(age.total_seconds())} seconds ago")
    return int(age.total_seconds())


@csrf_exempt
@login_not_required
@never_cache
@require_GET
def health(request):
    checks = {}
    failed = []
    details = {}
    for name, check in (("database", _database), ("broker", _broker), ("overdue_job", _overdue_run_age)):
        try:
            result = check()
        except Exception as error:  # noqa: BLE001 - any failure of a check is what this page reports
            # The error may name a host or a port, never a person: fine for the log, not for the page.
            logger.warning("Health check %s failed: %s", name, error)
            checks[name] = "failed"
            failed.append(name)
        else:
            checks[name] = "ok"
            if name == "overdue_job":
                details["overdue_job_last_ran_seconds_ago"] = result
    body = {"status": "failed" if failed else "ok", "checks": checks, **details}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)
