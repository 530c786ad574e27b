"""Without Redis, Celery's broker is kombu's filesystem transport. Every file it writes (queued
messages, the exchange tables in its control folder, the workers' pidbox bindings) must go under
PACE_DATA_DIR: kombu's defaults are folders relative to the current directory, which is how a
``control/celery.exchange`` once landed in the repository."""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Declares the default queue, sends a task message, reads it back and binds a fanout exchange
# (what a worker's remote-control mailbox does), all through the app's own broker settings.
ROUND_TRIP = """
import json
from kombu import Exchange, Queue
from pace_cases.celery import app

with app.connection_for_write() as connection:
    channel = connection.default_channel
    queue = Queue("celery", Exchange("celery"), routing_key="celery", channel=channel)
    queue.declare()
    with connection.Producer() as producer:
        producer.publish({"hello": "world"}, exchange="celery", routing_key="celery", declare=[queue])
    message = queue.get(no_ack=True)
    Queue("reply.celery.pidbox", Exchange("celery.pidbox", type="fanout"), channel=channel).declare()
    options = connection.transport_options
print(json.dumps({"body": message.payload, "options": options}))
"""


def test_broker_writes_only_under_the_data_folder(tmp_path):
    data_dir = tmp_path / "data"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "REDIS_URL_FILE"}}
    env.update(
        DEBUG="1",
        PACE_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'db.sqlite3'}",
        PYTHONPATH=str(BASE_DIR),
        DJANGO_SETTINGS_MODULE="pace_cases.settings",
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", ROUND_TRIP],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["body"] == {"hello": "world"}

    assert list(elsewhere.iterdir()) == []
    broker = data_dir / "broker"
    for option in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        assert Path(outcome["options"][option]).is_relative_to(broker), option
    assert (broker / "control" / "celery.exchange").exists()
    assert (broker / "control" / "celery.pidbox.exchange").exists()
