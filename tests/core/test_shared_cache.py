"""Rate limits hold across web processes: with REDIS_URL set, the cache is Redis, so every
process counts the same password-reset requests; without it each process counts its own."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.cache.backends.redis import RedisCache

from staff import password_reset

BASE_DIR = Path(__file__).resolve().parent.parent.parent
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def cache_backend(tmp_path, **environment) -> str:
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(DEBUG="1", PACE_DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               **environment)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import pace_cases.settings as s; print(s.CACHES['default']['BACKEND'])"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    return result.stdout.strip()


def test_with_redis_the_cache_is_redis_and_without_it_each_process_memory(tmp_path):
    redis_backend = "django.core.cache.backends.redis.RedisCache"
    assert cache_backend(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0") == redis_backend
    assert cache_backend(tmp_path) == "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture
def redis_cache(settings):
    """The default cache on the real Redis, under a prefix of this test's own."""
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS}")
        pytest.skip(f"Redis is not reachable at {REDIS}")
    prefix = f"pace-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS, "KEY_PREFIX": prefix}
    }
    yield prefix
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_a_reset_limit_reached_through_one_process_holds_in_another(redis_cache, settings):
    settings.PASSWORD_RESET_EMAIL_LIMIT = 3
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 100
    asks = [password_reset.password_reset_allowed(email="jo@example.org", client_address="198.51.100.7")
            for _ in range(2)]
    assert asks == [True, True]
    # Another web process: its own connection to the same Redis, nothing shared in memory.
    other_process = RedisCache(REDIS, {"KEY_PREFIX": redis_cache})
    key = password_reset._counter_key("email", "jo@example.org")
    assert other_process.get(key) == 2
    assert other_process.incr(key) == 3  # the third request, made through the other process
    # This process's next is the fourth, over the limit: alone it would have counted three.
    assert not password_reset.password_reset_allowed(email="jo@example.org", client_address="198.51.100.8")
