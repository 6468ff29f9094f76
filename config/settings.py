"""Settings for Nanum Exchange, read from the environment.

Safe local defaults: SQLite in the project folder, DEBUG off unless asked for.
`make run` and `make test` set DEBUG=1; a production deployment sets
SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL. See the README for every variable.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_bool,
    env_choice,
    env_decimal,
    env_int,
    env_int_list,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "django-insecure-development-only-key-never-used-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (a long random string; see the README)."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "djmoney",
    "django_fsm",
    "django_htmx",
    "axes",
    "people",
    "regions",
    "audit",
    "ledger",
    "inbox",
    "marketplace",
    "donors",
    "exchange",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files answer here, before any guard that could touch the database
    # (see the block "Production serving" below).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # /healthz is answered here: one database round trip and nothing else (no
    # session, user, language or CSRF work; config/middleware.py).
    "config.middleware.HealthCheckMiddleware",
    # An htmx request answered with an error page (from here down) shows its
    # message in the page's error box, not in the request's target (config/web.py).
    "config.web.HtmxErrorMiddleware",
    "config.middleware.RejectMalformedRequestMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.conflicts.ConflictMiddleware",
    # A domain error no view caught: its status and message, never a 500.
    "config.web.DomainErrorMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Sign-in, sessions and headers (see the block "Sign-in, tokens, sessions"
    # below): idle sessions end, every response gets its Content-Security-Policy
    # and Permissions-Policy, and a locked-out sign-in gets the lockout page.
    "people.middleware.SessionIdleTimeoutMiddleware",
    "csp.middleware.CSPMiddleware",
    "people.middleware.PermissionsPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

# Cache: Redis when REDIS_URL (or CACHE_URL) names a server, this process's
# memory otherwise. The anonymous catalogue page lives there
# (marketplace/catalogue_cache.py; its version is a database row, so a listing
# change shows at once in every process either way), as do DRF's throttle
# counts, which only Redis shares between the workers.
_CACHE_URL = env_str("CACHE_URL") or env_str("REDIS_URL")
if _CACHE_URL:
    if not _CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            "CACHE_URL / REDIS_URL must be a Redis URL (redis://host:6379/0, rediss://, unix://)."
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _CACHE_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "nanum") or "nanum",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    }
CATALOGUE_CACHE_SECONDS = env_int("CATALOGUE_CACHE_SECONDS", 300, minimum=0)
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "people.context_processors.roles",
                "donors.context_processors.donor_roles",
                "inbox.context_processors.unread",
                "config.context_processors.site",
            ],
            # Filters of the shared templates in templates/components/.
            "libraries": {"components": "config.components"},
        },
    },
]

# Database: one URL. The default is SQLite in the project folder.
_DEFAULT_DB_URL = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL", _DEFAULT_DB_URL) or _DEFAULT_DB_URL,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The listings' covering indexes (INCLUDE columns) serve PostgreSQL; SQLite
    # keeps the indexes without them, which the development database does not miss.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# Language and time: Korean first, English available.
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")) or "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Production serving: static files and the database connection pool -------
# WhiteNoise serves STATIC_ROOT (collectstatic) from the application, behind
# gunicorn (config/gunicorn.conf.py). Without DEBUG the names carry a content
# hash and a gzip copy sits beside each file, so browsers may cache them for
# ever; a template naming a file that collectstatic did not write is then an
# error, as it should be in a deployment. With DEBUG the files come straight
# from the apps' static folders, so `make run` and the tests need no collectstatic.
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
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# PostgreSQL connections come from a pool (psycopg_pool, one per process) when
# DEBUG is off, unless persistent connections were chosen instead: Django
# refuses both at once. The pool checks a connection before handing it out, so
# one the server dropped (a restart, a failover) is replaced and the site
# recovers as soon as the database does.
_POOL_DEFAULT_MAX = max(4, env_int("GUNICORN_THREADS", 4, minimum=1))
_db = DATABASES["default"]
if env_bool("DATABASE_POOL", not DEBUG and not _db["CONN_MAX_AGE"]):
    if _db["ENGINE"] != "django.db.backends.postgresql":
        if env_str("DATABASE_POOL") is not None:
            raise ImproperlyConfigured(
                "DATABASE_POOL needs a PostgreSQL DATABASE_URL; set DATABASE_POOL=0."
            )
    elif _db["CONN_MAX_AGE"]:
        raise ImproperlyConfigured(
            "DATABASE_POOL cannot be on with DATABASE_CONN_MAX_AGE above 0 (pooled "
            "connections go back to the pool after every request): set one of them to 0."
        )
    else:
        _pool = {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 2, minimum=0),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", _POOL_DEFAULT_MAX, minimum=1),
            # Seconds a request waits for a free connection before failing
            # (then 503, like a database that does not answer).
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 5, minimum=1),
        }
        if _pool["min_size"] > _pool["max_size"]:
            raise ImproperlyConfigured(
                f"DATABASE_POOL_MIN_SIZE ({_pool['min_size']}) must not exceed "
                f"DATABASE_POOL_MAX_SIZE ({_pool['max_size']})"
            )
        _db.setdefault("OPTIONS", {})["pool"] = _pool
        _db["CONN_HEALTH_CHECKS"] = True
# --- end of production serving -------------------------------------------------

# --- Read replica ---------------------------------------------------------------
# DATABASE_REPLICA_URL (optional) names a read-only copy of the primary (PostgreSQL
# streaming replication). config.routers.ReplicaRouter sends it only the reads of
# views marked with config.routers.replica_reads (the public catalogue, reports,
# exports), and only while the request has written nothing; every write goes to
# "default". Test runs use the primary for it (MIRROR): no second test database.
_replica_url = env_str("DATABASE_REPLICA_URL")
if _replica_url:
    try:
        DATABASES["replica"] = dj_database_url.parse(_replica_url, conn_max_age=_db["CONN_MAX_AGE"])
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URL is not a database URL: {exc}") from None
    if DATABASES["replica"]["ENGINE"] != _db["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must use the same engine as DATABASE_URL")
    if "pool" in _db.get("OPTIONS", {}):
        DATABASES["replica"].setdefault("OPTIONS", {})["pool"] = dict(_db["OPTIONS"]["pool"])
        DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
# --- end of read replica --------------------------------------------------------

# --- Background jobs (Celery; config/celery.py, config/jobs.py, config/tasks.py) --
# Without CELERY_BROKER_URL every job runs in the web process right after its
# transaction commits (as e-mail always did). With it (redis://host:6379/0) jobs
# are queued after the commit and run by `celery -A config worker`; `celery -A
# config beat` queues expire_due every 5 minutes, notify_due and send_digests
# daily. CELERY_BROKER_KEY_PREFIX puts every key of this installation under a
# prefix, so several cities (or test runs) can share one Redis.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or ""
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if env_str("CELERY_BROKER_KEY_PREFIX"):
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = env_str("CELERY_BROKER_KEY_PREFIX")
# A queued task is redelivered if its worker dies before finishing it (acks_late
# tasks) after this many seconds; longer than any retry countdown below.
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# No result backend, so nothing for beat's nightly result clean-up to do.
CELERY_RESULT_EXPIRES = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Seconds before the first retry of an e-mail the mail server refused; doubled
# each time (with jitter), at most MAIL_RETRY_MAX_SECONDS, MAIL_RETRIES times.
MAIL_RETRY_BACKOFF_SECONDS = env_int("MAIL_RETRY_BACKOFF_SECONDS", 30, minimum=1)
MAIL_RETRY_MAX_SECONDS = env_int("MAIL_RETRY_MAX_SECONDS", 600, minimum=1)
MAIL_RETRIES = env_int("MAIL_RETRIES", 6, minimum=0)
CELERY_BEAT_SCHEDULE = {
    "expire-due": {
        "task": "config.tasks.expire_due",
        "schedule": 300.0,
        # A run still queued when the next is due is dropped, not piled up.
        "options": {"expires": 290},
    },
    # The day's to-do notifications, then the digests that list them (Korean morning).
    "notify-due": {
        "task": "config.tasks.notify_due",
        "schedule": crontab(hour=6, minute=0),
        "options": {"expires": 3600},
    },
    "send-digests": {
        "task": "config.tasks.send_digests",
        "schedule": crontab(hour=7, minute=0),
        "options": {"expires": 3600},
    },
}
# The file-based e-mail backend's folder (EMAIL_BACKEND=...filebased.EmailBackend).
if env_str("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH")
# --- end of background jobs -----------------------------------------------------

# E-mail: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "나눔 교환 <noreply@localhost>")

# Security. With DEBUG off every protection is on unless switched off on purpose.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# A load balancer probes /healthz over plain HTTP from inside: not redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Personal-data access records: the client address is REMOTE_ADDR unless this many
# reverse proxies of our own stand in front and append to X-Forwarded-For.
ACCESS_PROXY_COUNT = env_int("ACCESS_PROXY_COUNT", 0, minimum=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated API call then answers 401 with a
        # WWW-Authenticate header rather than 403.
        "people.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.schema.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # DRF's JSON parser and renderers with the guards of config/parsing.py.
    "DEFAULT_PARSER_CLASSES": [
        "config.parsing.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "config.parsing.JSONRenderer",
        "config.parsing.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Only the sign-in endpoints are throttled (people/api.py): the token
    # endpoint per client address, and requests with a wrong token.
    "DEFAULT_THROTTLE_RATES": {
        "auth_token": "10/min",
        "auth_failure": "20/min",
    },
    # The client's address is REMOTE_ADDR, never a forwarded header a client
    # could forge to escape the throttles (django-axes reads the same).
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Nanum Exchange API",
    "DESCRIPTION": "나눔 교환: regions, resources, claims and the welfare-point ledger.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}

# --- Sign-in, tokens, sessions -------------------------------------------------
# Lockout (django-axes): 5 wrong passwords for one username from one address
# lock that combination for 15 minutes, on the login page, the admin and the
# token endpoint alike. The axes backend only watches; ModelBackend signs in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "people.auth.lockout_response"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# No start-up banner on every manage.py command (it would stand among make run's output).
AXES_VERBOSE = False
# API tokens expire this many days after they were issued; a password change
# revokes them at once (people.models.User.save).
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30, minimum=1)
# A signed-in session ends after this many minutes without a request. The
# last request's time is rewritten at most once a minute (people/middleware.py).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
# Sessions are read from the cache and written through to the database when the
# cache is Redis, which every worker shares: a signed-in request then reads no
# session row. Not with this process's memory: a sign-out in one worker would
# leave the session in the others' caches, so those keep the database engine.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if _CACHE_URL
    else "django.contrib.sessions.backends.db"
)

# --- Site identity and contact (header, footer, /privacy/, /terms/) -------------------
# The city the service belongs to, shown in the header next to the service name.
SITE_CITY = env_str("SITE_CITY", "대전광역시") or "대전광역시"
# Who answers questions and is the controller of the personal data (개인정보처리자).
# The defaults are demo values and the pages say so until every one is set.
_CONTACT_DEFAULTS = {
    "office": ("CONTACT_OFFICE", "대전광역시 복지정책과"),
    "phone": ("CONTACT_PHONE", "042-000-0000"),
    "email": ("CONTACT_EMAIL", "nanum@demo.invalid"),
    "controller": ("PRIVACY_CONTROLLER", "대전광역시장"),
    "privacy_officer": ("PRIVACY_OFFICER", "대전광역시 개인정보 보호책임자"),
}
SITE_CONTACT = {
    key: env_str(name, default) or default for key, (name, default) in _CONTACT_DEFAULTS.items()
}
SITE_CONTACT_IS_DEMO = any(env_str(name) is None for name, _ in _CONTACT_DEFAULTS.values())

# --- Content-Security-Policy and other headers ---------------------------------
# Everything the pages load comes from this site: no inline scripts or styles
# and no eval (htmx runs without hx-on attributes; see static/js/site.js).
# Images may be data: URIs, which Swagger UI's stylesheet uses for its icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# No page uses the camera, microphone, location, payments or USB devices.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

CURRENCIES = ("KRW",)
DEFAULT_CURRENCY = "KRW"

# The exchange: how regions trade and what a point is worth.
EXCHANGE_LEVEL = env_choice("EXCHANGE_LEVEL", "district", ("city", "district", "zone", "dong"))
KRW_PER_POINT = env_int("KRW_PER_POINT", 1_000, minimum=1)
VOLUNTEER_HOUR_KRW = env_int("VOLUNTEER_HOUR_KRW", 10_320, minimum=0)
PUBLIC_SHARE = env_decimal("PUBLIC_SHARE", "0.5", minimum=Decimal("0"), maximum=Decimal("1"))

# Deadlines of the claim lifecycle and the duplicate-service window, in days.
CLAIM_APPROVAL_DAYS = env_int("CLAIM_APPROVAL_DAYS", 7, minimum=1)
CLAIM_FULFIL_DAYS = env_int("CLAIM_FULFIL_DAYS", 30, minimum=1)
DUPLICATE_WINDOW_DAYS = env_int("DUPLICATE_WINDOW_DAYS", 30, minimum=0)
MATCH_DEADLINE_DAYS = env_int("MATCH_DEADLINE_DAYS", 7, minimum=1)
# Follow-ups after a household's case closes, in months after closing.
FOLLOW_UP_MONTHS = env_int_list("FOLLOW_UP_MONTHS", [3, 6], minimum=1)
# A follow-up still not recorded this many days after it was due is escalated to
# the coordinators of its district (their dashboard).
FOLLOW_UP_ESCALATE_DAYS = env_int("FOLLOW_UP_ESCALATE_DAYS", 14, minimum=0)

# The organisation that issues donation receipts (기부금 단체, 별지 제45호의2 서식 ③):
# its name, business or unique number (사업자등록번호/고유번호), address, phone,
# representative, the law under which it receives donations, and the donation type
# code of its receipts (10 특례(법정)기부금, 40 일반(지정)기부금, ...). Until every
# one of them is set the receipt page issues a 기부 내역 확인서, not a 기부금 영수증.
# The fundraising agent (기부금 모집처, ④) is optional.
RECEIPT_ISSUER_NAME = (env_str("RECEIPT_ISSUER_NAME") or "").strip()
RECEIPT_ISSUER_NUMBER = (env_str("RECEIPT_ISSUER_NUMBER") or "").strip()
RECEIPT_ISSUER_ADDRESS = (env_str("RECEIPT_ISSUER_ADDRESS") or "").strip()
RECEIPT_ISSUER_PHONE = (env_str("RECEIPT_ISSUER_PHONE") or "").strip()
RECEIPT_ISSUER_REPRESENTATIVE = (env_str("RECEIPT_ISSUER_REPRESENTATIVE") or "").strip()
RECEIPT_ISSUER_LEGAL_BASIS = (env_str("RECEIPT_ISSUER_LEGAL_BASIS") or "").strip()
RECEIPT_DONATION_TYPE_CODE = env_choice(
    "RECEIPT_DONATION_TYPE_CODE", "", ("", "10", "20", "40", "41", "42", "43", "50")
)
RECEIPT_AGENT_NAME = (env_str("RECEIPT_AGENT_NAME") or "").strip()
RECEIPT_AGENT_NUMBER = (env_str("RECEIPT_AGENT_NUMBER") or "").strip()

# Signs ledger checkpoints (HMAC-SHA256; ledger/checkpoint.py). Only the checkpoint
# commands need it, and they refuse to run without it when DEBUG is off.
LEDGER_CHECKPOINT_KEY = env_str("LEDGER_CHECKPOINT_KEY") or ""

# The monthly report of unusual access to household records: a burst is this many
# distinct households read by one user within this many minutes; office hours are
# from ACCESS_DAY_STARTS to ACCESS_DAY_ENDS o'clock (Asia/Seoul), Monday to Friday.
ACCESS_BURST_HOUSEHOLDS = env_int("ACCESS_BURST_HOUSEHOLDS", 20, minimum=2)
ACCESS_BURST_MINUTES = env_int("ACCESS_BURST_MINUTES", 10, minimum=1)
ACCESS_DAY_STARTS = env_int("ACCESS_DAY_STARTS", 8, minimum=0)
ACCESS_DAY_ENDS = env_int("ACCESS_DAY_ENDS", 20, minimum=1)

# Error pages and error e-mails never show household notes (audit/reporting.py).
DEFAULT_EXCEPTION_REPORTER = "audit.reporting.HouseholdNotesExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "audit.reporting.HouseholdNotesFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
