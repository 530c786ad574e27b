"""Settings for Pace Cases, all read from the environment (see README's table)."""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF

from pace_cases import env

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.string("PACE_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env.boolean("DEBUG", False)
if DEBUG:
    SECRET_KEY = env.string("SECRET_KEY", "insecure-development-key-never-use-in-production")
else:
    SECRET_KEY = env.string("SECRET_KEY")

ALLOWED_HOSTS = env.string_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.string_list("CSRF_TRUSTED_ORIGINS", [])
# The reverse proxies (addresses or networks) whose X-Forwarded-For is believed; see
# core.client_address. Empty: the address the request came from is the client's.
TRUSTED_PROXIES = env.string_list("TRUSTED_PROXIES", [])
# The site's public address for links in e-mails. Required in production: a fallback to
# localhost would send staff links that lead nowhere, and nothing would say so.
SITE_URL = env.string("SITE_URL", "http://localhost:8000") if DEBUG else env.string("SITE_URL")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "axes",
    "auditlog",
    "pgtrigger",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The project's apps, one floor each: an app imports only those listed before it.
    "core",
    "staff",
    "families",
    "agencies",
    "deadlines",
    "referrals",
    "safety_plans",
    "meetings",
    "outcomes",
    "data_protection",
    "reports",
    "demo",
]

MIDDLEWARE = [
    # First, so sign-in lockouts and the audit log see the client's address, not the proxy's.
    "core.client_address.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files keep their long caching; every other response is not stored.
    "core.no_store.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which second-factor device, if any, this session has passed (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    # Ends a sign-in SESSION_ABSOLUTE_HOURS after the password was typed, however active it was.
    "staff.sessions.AbsoluteSessionLifetimeMiddleware",
    # Then no page but signing out, the second factor itself and a few others until the code is typed.
    "staff.two_factor.SecondFactorMiddleware",
    # Notes, at most once a minute, when each signed-in browser was last seen ("Your sign-ins").
    "staff.signins.LastSeenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.audit.AuditMiddleware",
    # Last, so a locked-out sign-in is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pace_cases.urls"
WSGI_APPLICATION = "pace_cases.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "deadlines.context_processors.unread_notifications",
                "staff.sessions.session_limits",
            ],
        },
    },
]

DATABASE_URL = env.string("DATABASE_URL", "")
if not DATABASE_URL:
    # The embedded default: a SQLite file in the local data folder.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{DATA_DIR / 'pace_cases.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 0),
    )
}
# Two test runs against one PostgreSQL server would drop each other's test_<name> database:
# CI names its own (.ci/run). Unset, Django's default name is used.
if env.string("TEST_DATABASE_NAME", ""):
    DATABASES["default"]["TEST"] = {"NAME": env.string("TEST_DATABASE_NAME")}
# A PostgreSQL read replica for figures, reports and exports (core.replica says which reads go
# there; everything else, and every write, stays on the primary). In tests it is the primary's
# test database, as nothing replicates into a test database.
DATABASE_REPLICA_URL = env.string("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 0),
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "staff.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Length and the common-password list, no composition rules (ASVS 6.2.1, 6.2.4, 6.2.5); no maximum
# below 128, so a long passphrase with spaces is welcome (6.2.9). ASVS asks for 8 at least and
# recommends 15 where there is no second factor: 12 is a phrase of three or four words, which people
# on a phone line can type quickly; sign-in is throttled too, and a second factor is to follow.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A password-reset link works once (it is signed with the password it replaces) and for this long.
PASSWORD_RESET_TIMEOUT = env.integer("PASSWORD_RESET_MINUTES", 60) * 60
# Reset links asked for, per e-mail address and per client address, in PASSWORD_RESET_WINDOW_MINUTES.
PASSWORD_RESET_EMAIL_LIMIT = env.integer("PASSWORD_RESET_EMAIL_LIMIT", 3)
PASSWORD_RESET_ADDRESS_LIMIT = env.integer("PASSWORD_RESET_ADDRESS_LIMIT", 10)
PASSWORD_RESET_WINDOW_MINUTES = env.integer("PASSWORD_RESET_WINDOW_MINUTES", 60)

# Idle expiry: the session cookie is renewed on every request and lapses after
# SESSION_IDLE_MINUTES without one.
SESSION_COOKIE_AGE = env.integer("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
# However active it is, a sign-in ends this many hours after the password was typed (a working day).
SESSION_ABSOLUTE_HOURS = env.integer("SESSION_ABSOLUTE_HOURS", 10)
# An account unused for this many days (since its last sign-in, or since it was made) is switched off.
DORMANT_ACCOUNT_DAYS = env.integer("DORMANT_ACCOUNT_DAYS", 90)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Pause signing in after repeated failures: for an e-mail address from one client address after
# SIGNIN_FAILURE_LIMIT, and from one client address whatever the e-mail addresses tried (password
# spraying) after SIGNIN_ADDRESS_FAILURE_LIMIT. The second limit is staff.signin.SignInThrottle's.
AXES_FAILURE_LIMIT = env.integer("SIGNIN_FAILURE_LIMIT", 5)
SIGNIN_ADDRESS_FAILURE_LIMIT = env.integer("SIGNIN_ADDRESS_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = env.integer("SIGNIN_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "staff.signin.SignInThrottle"
# The sign-in form's field is "username" (it holds the e-mail address).
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "staff.signin.lockout_username"
AXES_RESET_ON_SUCCESS = True
# The client's address as core.client_address settled it (behind TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "core.client_address.axes_client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# The second factor (staff.two_factor): a code from an authenticator app, or a single-use recovery
# code. After each wrong code the next is refused for 1, 2, 4, 8... seconds (this many times those).
OTP_TOTP_ISSUER = "Pace Cases"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.string("STATIC_ROOT", str(DATA_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Widgets may be drawn by the project's own templates (templates/core/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env.string(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env.string("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))  # for the file-based backend
EMAIL_HOST = env.string("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25)
EMAIL_HOST_USER = env.string("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", False)
# Seconds to wait on each step of talking to the mail server before the attempt is given up and
# retried later (Django's default is to wait for ever).
EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "Pace Cases <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis in production (REDIS_URL). Without it, the embedded default is a broker
# that needs no server: kombu's filesystem transport, in the local data folder.
REDIS_URL = env.string("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    CELERY_BROKER_URL = "filesystem://localhost//"
    # Every folder is named: kombu's defaults are relative to the current directory, so an
    # unset one (the control folder, where exchange and pidbox bindings are kept) writes
    # runtime files into the checkout. Read messages pass through the system's temporary
    # folder for a moment (store_processed off), so the processed folder never grows.
    _broker_dir = DATA_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# The cache holds the rate limits' counters (password reset e-mails asked for), which every web
# process must share or each would allow the limit again: Redis whenever REDIS_URL is set (under
# its own key prefix, apart from the queue's keys), each process's own memory otherwise.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "pace",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Named queues, so each kind of work can have workers of its own (README, "Running on more than
# one machine"); every worker in docker-compose.yml and Procfile.dev consumes one or more of them,
# and tests/test_compose.py checks that no task is routed to a queue nobody consumes.
CELERY_TASK_DEFAULT_QUEUE = env.string("CELERY_TASK_DEFAULT_QUEUE", "celery")
# The overdue job and what moves deadlines: it must never wait behind a long report.
CELERY_DEADLINES_QUEUE = env.string("CELERY_DEADLINES_QUEUE", "deadlines")
# E-mail is sent by workers of its own queue, so a slow or stuck mail server never delays the
# overdue job (see Procfile.dev and docker-compose.yml's mailer).
CELERY_MAIL_QUEUE = env.string("CELERY_MAIL_QUEUE", "mail")
# Long work that may run for minutes or hours: the retention run and its nightly dry run, and
# recomputing an authority's referrals after a threshold change.
CELERY_REPORTS_QUEUE = env.string("CELERY_REPORTS_QUEUE", "reports")
CELERY_TASK_ROUTES = {
    "deadlines.tasks.raise_overdue_flags": {"queue": CELERY_DEADLINES_QUEUE},
    "deadlines.tasks.reschedule_for_calendar": {"queue": CELERY_DEADLINES_QUEUE},
    "deadlines.tasks.send_notifications": {"queue": CELERY_MAIL_QUEUE},
    "staff.tasks.send_password_reset": {"queue": CELERY_MAIL_QUEUE},
    "data_protection.tasks.run_retention": {"queue": CELERY_REPORTS_QUEUE},
    "data_protection.tasks.work_out_retention_run": {"queue": CELERY_REPORTS_QUEUE},
    "referrals.tasks.apply_threshold_change": {"queue": CELERY_REPORTS_QUEUE},
}
# Seconds: the soft limit raises SoftTimeLimitExceeded in the task, the hard one kills the worker
# process. Tasks may set their own (deadlines.tasks.send_notifications does).
CELERY_TASK_SOFT_TIME_LIMIT = env.integer("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env.integer("CELERY_TASK_TIME_LIMIT", 660)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
OVERDUE_CHECK_MINUTES = env.integer("OVERDUE_CHECK_MINUTES", 5)
# A deadline this many working days away or fewer is shown as "due soon".
DEADLINE_WARNING_WORKING_DAYS = env.integer("DEADLINE_WARNING_WORKING_DAYS", 2)
# The charity whose service Pace Cases is: named at the head of every chronology pack.
CHARITY_NAME = env.string("CHARITY_NAME", "Parents Against Child Exploitation (Pace)")
# The anonymised research export (reports.research): every combination of the columns that could
# describe a family is shared by at least this many families. An export may ask for more, never fewer.
RESEARCH_EXPORT_K = env.integer("RESEARCH_EXPORT_K", 5)
if RESEARCH_EXPORT_K < 2:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"RESEARCH_EXPORT_K must be 2 or more, not {RESEARCH_EXPORT_K}.")
CELERY_BEAT_SCHEDULE = {
    "disable-dormant-accounts": {
        "task": "families.tasks.disable_dormant_accounts",
        "schedule": crontab(hour=3, minute=15),
        "options": {"queue": CELERY_TASK_DEFAULT_QUEUE},
    },
    "raise-overdue-flags": {
        "task": "deadlines.tasks.raise_overdue_flags",
        "schedule": OVERDUE_CHECK_MINUTES * 60,
        "options": {"queue": CELERY_DEADLINES_QUEUE},
    },
    # Once a night, every open deadline is checked, not only those due since the last run: a safety
    # net for a deadline whose transaction committed later than the watermark's margin allows.
    "raise-overdue-flags-full-check": {
        "task": "deadlines.tasks.raise_overdue_flags",
        "schedule": crontab(hour=2, minute=30),
        "kwargs": {"full": True},
        "options": {"queue": CELERY_DEADLINES_QUEUE},
    },
    "send-notifications": {
        # Catches retries that fell due and anything queued while no worker was running.
        "task": "deadlines.tasks.send_notifications",
        "schedule": 60,
        # A run still queued when the next is due is dropped: a backlog of runs sends nothing more.
        "options": {"queue": CELERY_MAIL_QUEUE, "expires": 55},
    },
    # A dry run saved each night for an administrator to approve; nothing is anonymised until they do.
    "work-out-retention-run": {
        "task": "data_protection.tasks.work_out_retention_run",
        "schedule": crontab(hour=4, minute=0),
        "options": {"queue": CELERY_REPORTS_QUEUE},
    },
}

# Changes are attributed to the signed-in user by AuditlogMiddleware; reads are
# recorded explicitly (core.audit).
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", not DEBUG)
# The load balancer's and compose's health probe may come over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Preloading is hard to undo and covers the whole domain, so it is opt-in.
SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy, the same with DEBUG on or off: only the site's own files run or style a
# page. No inline script, style element or style attribute, no event-handler attribute and no eval
# (htmx's own is switched off in templates/base.html), so no nonces are needed. Bootstrap's CSS
# draws its arrows and ticks with data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# Case details never go to logs: request bodies are not logged, and errors are
# reported without local variables.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        # The PDF library's font subsetting reports every table it prunes, for every PDF.
        "fontTools": {"level": "WARNING"},
    },
}
