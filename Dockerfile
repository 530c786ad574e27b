# Pace Cases: the web application image (also used for migrations, and later
# for the Celery worker and beat). Configure it through the environment; see
# README.md. Runs as an unprivileged user.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PACE_DATA_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles

# DejaVu Sans lets the family's copy of a safety plan (a PDF) show every name as written.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system pace \
    && useradd --system --gid pace --home-dir /app --no-create-home --shell /usr/sbin/nologin pace

WORKDIR /app

# The locked tree: pip refuses any package missing from it or whose file does not
# match its hash.
COPY requirements.txt .
RUN pip install --no-cache-dir --require-hashes -r requirements.txt

COPY --chown=root:root . .

# Static files are built into the image with the production (manifest) storage.
# The key and address below exist only for this build step; the container refuses to
# start without a real SECRET_KEY and SITE_URL.
RUN DEBUG=0 \
    SECRET_KEY=build-time-only-not-a-secret \
    SITE_URL=https://build-time-only.invalid \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var \
    && chown pace:pace /app/var

USER pace

EXPOSE 8000

CMD ["gunicorn", "pace_cases.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--no-control-socket"]
