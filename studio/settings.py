"""Figurine Studio settings, read from the environment.

Every variable has a default that works on a laptop (SQLite, the django-q2 ORM broker, files on
disk). Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL and storage.
The README lists every variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in env(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", True)
_DEV_SECRET = "django-insecure-figurine-studio-dev-only-key-change-me"
SECRET_KEY = env("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served by the studio: /api/docs/ works offline
    "health_check",  # /healthz (checks in glue/health.py)
    "django_q",
    "axes",
    "orders",
    "reconstruction",
    "revisions",
    "printing",
    "digital",
    "glue",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # static files (hashed, compressed) straight from gunicorn: nothing else in front is needed
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # last, as django-axes asks: turns a locked-out admin login into the lockout page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "glue.urls"
WSGI_APPLICATION = "studio.wsgi.application"

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
            ],
        },
    },
]

# --- Database: SQLite under the project unless DATABASE_URL is set -----------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        # a kept connection is tested before each request, so a restarted PostgreSQL is found again
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Web and workers share the file: write-ahead logging lets readers run beside a writer, and
    # IMMEDIATE transactions queue for the write lock (up to `timeout`) instead of failing at once
    # with "database is locked" when a reading transaction later wants to write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL;"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed staff logins (the admin's login form; the API's tokens and the portal never pass a password)
# are limited per username and client address: after AXES_FAILURE_LIMIT failures that pair is locked
# out for AXES_COOLOFF_MINUTES; a success resets its count. `manage.py axes_reset` lifts lockouts.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "studio.http.client_ip"  # X-Forwarded-For only as far as TRUSTED_PROXIES vouch
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2", "code", "token"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Time: the studio's clock and working days -------------------------------------------------
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
STUDIO_TIME_ZONE = env("STUDIO_TIME_ZONE", "America/New_York")
STUDIO_COUNTRY = env("STUDIO_COUNTRY", "US")
TIME_ZONE = STUDIO_TIME_ZONE
PREVIEW_DUE_BUSINESS_HOURS = env_int("PREVIEW_DUE_BUSINESS_HOURS", 48)
# Delivery promise after approval (DESIGN: 2–4 weeks).
DELIVERY_EARLIEST_DAYS = env_int("DELIVERY_EARLIEST_DAYS", 14)
DELIVERY_LATEST_DAYS = env_int("DELIVERY_LATEST_DAYS", 28)
# The assigned sculptor is warned when this many business hours are left before a preview is due.
PREVIEW_WARNING_BUSINESS_HOURS = env_int("PREVIEW_WARNING_BUSINESS_HOURS", 8)

# --- Files: local disk by default, object storage when a bucket is named ------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [d for d in [BASE_DIR / "studio" / "static"] if d.exists()]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGE_BUCKET = env("STORAGE_BUCKET")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # `collectstatic` writes hashed, compressed copies and a manifest into STATIC_ROOT; WhiteNoise serves
    # them with far-future cache headers. With DEBUG=0 a page needs that manifest (make prod collects).
    "staticfiles": {"BACKEND": "studio.staticfiles.StudioStaticFilesStorage"},
}
if STORAGE_BUCKET:
    from botocore.config import Config as _BucketClientConfig

    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_BUCKET,
            "endpoint_url": env("STORAGE_ENDPOINT_URL") or None,
            "region_name": env("STORAGE_REGION") or None,
            "default_acl": None,
            "querystring_auth": True,  # url() is a presigned URL: the bucket stays private
            "file_overwrite": False,
            # a bucket that does not answer fails an upload within seconds (a clear 503), never hangs;
            # a store on its own endpoint (MinIO, Ceph, a loopback server) is addressed by path
            "client_config": _BucketClientConfig(
                signature_version="s3v4",
                s3={"addressing_style": "path" if env("STORAGE_ENDPOINT_URL") else "auto"},
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }
# How long a signed photo / print-file URL from the API works without credentials.
SIGNED_FILE_URL_SECONDS = env_int("SIGNED_FILE_URL_SECONDS", 24 * 3600)
# Uploads larger than this stream to a temporary file on disk instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MAX_MESH_UPLOAD_BYTES = env_int("MAX_MESH_UPLOAD_BYTES", 200 * 1024 * 1024)
MAX_PHOTO_UPLOAD_BYTES = env_int("MAX_PHOTO_UPLOAD_BYTES", 25 * 1024 * 1024)

# --- API --------------------------------------------------------------------------------------
# Reverse proxies in front of the studio that append to X-Forwarded-For (0: trust REMOTE_ADDR only,
# so a client cannot choose its own IP for throttles and approval records).
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)

REST_FRAMEWORK = {
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "orders.auth.PortalTokenAuthentication",
        "orders.auth.PortalSessionAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "studio.api.StudioAutoSchema",
    "EXCEPTION_HANDLER": "studio.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Figurine Studio API",
    "DESCRIPTION": "Order figurines, upload photos, review 3D previews, and run the print queue.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files, not a CDN: no page of the
    # studio asks another host for anything.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # no validator badge: Swagger UI would fetch it from validator.swagger.io
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # The state names of DESIGN.md section 4, one enum each in the schema.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.OrderStatus",
        "ItemStatusEnum": "orders.models.ItemStatus",
        "RevisionStatusEnum": "revisions.models.RevisionStatus",
        "PhotoKindEnum": "orders.models.PhotoKind",
        "FeedbackKindEnum": "revisions.models.FeedbackKind",
        "GuaranteeClaimStatusEnum": "printing.models.GuaranteeClaimStatus",
    },
}

# --- Background work: django-q2, Redis when REDIS_URL is set, else the ORM broker ---------------
REDIS_URL = env("REDIS_URL")
TASK_TIMEOUT_S = env_int("TASK_TIMEOUT_S", 600)
RECONSTRUCTION_TIMEOUT_S = env_int("RECONSTRUCTION_TIMEOUT_S", 900)
# Our own attempt counter on job rows stops a task that keeps killing its worker.
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 3)
# A task not acknowledged this long after its time limit is delivered again (its worker died).
Q_RETRY_MARGIN_S = env_int("Q_RETRY_MARGIN_S", 180)
# The GPU queue: empty (the default), reconstruction runs on the default cluster, so the one
# `manage.py qcluster` serves every queue. Production names a cluster of its own (Q_GPU_CLUSTER=studio-gpu),
# served by `Q_CLUSTER_NAME=studio-gpu manage.py qcluster` on the GPU machines (deploy/).
GPU_CLUSTER = env("Q_GPU_CLUSTER")
# Reconstruction is enqueued on this queue; studio.tasks sends it to GPU_CLUSTER, or to the default cluster.
RECONSTRUCTION_QUEUE = "gpu"
# The default cluster's retry outlasts the longest task it runs (reconstruction too, without a GPU cluster).
_LONGEST_DEFAULT_TASK_S = TASK_TIMEOUT_S if GPU_CLUSTER else max(TASK_TIMEOUT_S, RECONSTRUCTION_TIMEOUT_S)
Q_CLUSTER: dict = {
    "name": "studio",
    "workers": env_int("Q_WORKERS", 2),
    "recycle": 50,
    "timeout": TASK_TIMEOUT_S,
    # retry must exceed timeout, or a slow task is delivered twice while still running.
    "retry": _LONGEST_DEFAULT_TASK_S + Q_RETRY_MARGIN_S,
    "max_attempts": TASK_MAX_ATTEMPTS,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 500,
    "label": "Background tasks",
    "ALT_CLUSTERS": {},
}
if GPU_CLUSTER:
    Q_CLUSTER["ALT_CLUSTERS"][GPU_CLUSTER] = {
        "workers": env_int("Q_GPU_WORKERS", 1),
        "timeout": RECONSTRUCTION_TIMEOUT_S,
        "retry": RECONSTRUCTION_TIMEOUT_S + Q_RETRY_MARGIN_S,
    }
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    # The clusters' heartbeats (django_q Stat) go to a cache that web and worker processes share, so
    # the admin's "Workers and queues" page and /healthz see them (a per-process memory cache would not).
    Q_CLUSTER["cache"] = "django_q"
RECONSTRUCTION_BACKEND = env("RECONSTRUCTION_BACKEND", "builtin")
RECONSTRUCTION_DEVICE = env("RECONSTRUCTION_DEVICE", "auto")
RECONSTRUCTION_CHECKPOINT = env("RECONSTRUCTION_CHECKPOINT")
RECONSTRUCTION_TRIANGLE_BUDGET = env_int("RECONSTRUCTION_TRIANGLE_BUDGET", 200_000)

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "django_q": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": env("Q_STATS_DIR", str(BASE_DIR / "var" / "cache" / "django_q")),
    },
}
if REDIS_URL:
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}

# --- Payments -----------------------------------------------------------------------------------
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE")
# Empty: Stripe's automatic payment methods (card, Klarna and other instalments where offered).
STRIPE_PAYMENT_METHOD_TYPES = env_list("STRIPE_PAYMENT_METHOD_TYPES", "") or None
ORDER_CREATE_THROTTLE = env("ORDER_CREATE_THROTTLE", "30/hour")
PHOTO_UPLOAD_THROTTLE = env("PHOTO_UPLOAD_THROTTLE", "120/hour")
STUDIO_CURRENCY = "usd"
SHIPPING_FLAT_FEE_CENTS = env_int("SHIPPING_FLAT_FEE_CENTS", 1500)
SHIPPING_FREE_FROM_CENTS = env_int("SHIPPING_FREE_FROM_CENTS", 14900)
# Countries Stripe Checkout offers when it collects the shipping address (worldwide, tracked).
SHIPPING_COUNTRIES = env_list(
    "SHIPPING_COUNTRIES",
    "US,CA,MX,GB,IE,FR,DE,ES,IT,PT,NL,BE,LU,AT,CH,DK,SE,NO,FI,IS,PL,CZ,SK,HU,SI,HR,RO,BG,GR,EE,LV,LT,"
    "AU,NZ,JP,KR,SG,HK,TW,IL,AE,ZA,BR,AR,CL,CO",
)

# --- Portal and e-mail ---------------------------------------------------------------------------
PORTAL_TOKEN_DAYS = env_int("PORTAL_TOKEN_DAYS", 90)
# An e-mailed sign-in link works once, within this many hours; the session it sets lasts
# PORTAL_SESSION_DAYS. A customer may ask for a new link PORTAL_LINK_REQUESTS_PER_HOUR times an hour
# (per address; PORTAL_LINK_REQUESTS_PER_IP_HOUR per client address).
PORTAL_LOGIN_LINK_HOURS = env_int("PORTAL_LOGIN_LINK_HOURS", 7 * 24)
PORTAL_SESSION_DAYS = env_int("PORTAL_SESSION_DAYS", 90)
PORTAL_LINK_REQUESTS_PER_HOUR = env_int("PORTAL_LINK_REQUESTS_PER_HOUR", 3)
PORTAL_LINK_REQUESTS_PER_IP_HOUR = env_int("PORTAL_LINK_REQUESTS_PER_IP_HOUR", 20)
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Figurine Studio <studio@example.com>")
# The SMTP relay (with EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)  # a relay that hangs fails the task (it is retried)

# --- Mesh checks --------------------------------------------------------------------------------
MESH_THIN_WALL_MM = float(env("MESH_THIN_WALL_MM", "1.0"))
MESH_FRAGILE_WALL_MM = float(env("MESH_FRAGILE_WALL_MM", "0.6"))
REVISION_RENDER_SIZE = env_int("REVISION_RENDER_SIZE", 512)
# The game-ready GLB of the customer's digital files is decimated to at most this many triangles.
DIGITAL_GAME_TRIANGLES = env_int("DIGITAL_GAME_TRIANGLES", 100_000)

# --- Security: strict when DEBUG is off (manage.py check --deploy passes) -----------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # the load balancer probes each web machine over plain HTTP
    SECURE_REDIRECT_EXEMPT = [r"^healthz(/|$)"]
    # Cookies only over HTTPS; SECURE_COOKIES=0 only for plain-HTTP loopback (bench/load.py, make prod on one machine).
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Every log line passes studio.log_filters.RedactSecrets: sign-in codes (/portal/login/<code>/),
# `token=`, `code=`, `sig=` values and Authorization headers never reach a log. The request log of
# `runserver` (django.server) goes through the same handler; gunicorn's access log must use it too
# (gunicorn.conf.py: logconfig_dict, or access_log_format without the query string).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "studio.log_filters.RedactSecrets"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # replaces Django's default "django" handlers (they would print unredacted lines)
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # its start-up banner would be a second line on every command's stderr (check_mesh's one-line errors)
        "axes": {"level": "WARNING"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
# Error reports (the DEBUG page, mails to ADMINS) hide Authorization headers and sign-in codes too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "studio.log_filters.StudioExceptionReporterFilter"
