"""Settings of the portal, read from the environment (see README, "Configuration").

Every value comes from one place, ``env`` below; a bad value stops the start with a
message that names the variable.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _read(name, reader, **kwargs):
    """Read one variable; turn any parse error into a message that names it."""
    try:
        return reader(name, **kwargs)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{name} has a bad value: {exc}") from exc


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name, *, default):
    """A strict yes/no: "maybe" is an error, not a silent False."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} has a bad value {raw!r}: use 1/0, true/false, yes/no.")


DEBUG = _bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = _read("ALLOWED_HOSTS", env.list, default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, default=[])

# --- Database -------------------------------------------------------------------------
_database_url = env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    _db = env.db_url_config(_database_url)
except Exception as exc:  # django-environ raises several kinds here
    raise ImproperlyConfigured(f"DATABASE_URL has a bad value: {exc}") from exc
if _db["ENGINE"] not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
    raise ImproperlyConfigured(
        f"DATABASE_URL must be sqlite:///PATH or postgres://..., not {_db['ENGINE']}."
    )
_conn_max_age = _read("CONN_MAX_AGE", env.int, default=60)
if _db["ENGINE"] == "django.db.backends.postgresql":
    # Keep connections between requests, and check them before use so that a
    # restarted PostgreSQL is survived without restarting the portal.
    _db["CONN_MAX_AGE"] = _conn_max_age
    _db["CONN_HEALTH_CHECKS"] = True
else:
    # Many citizens answer the kiosk at once: readers do not block the writer (WAL), a
    # writer waits its turn (timeout) and takes the write lock when its transaction
    # starts (IMMEDIATE), rather than failing with "database is locked" when a read
    # turns into a write.
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"].setdefault("timeout", 20)
    _db["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    _db["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
DATABASES = {"default": _db}
IS_POSTGRES = _db["ENGINE"] == "django.db.backends.postgresql"
# The national dashboard's first render reads three of its parts on a second connection
# while it reads the rest (``friendlygov.ahead``; PostgreSQL only): off, one connection.
READ_AHEAD = _bool("READ_AHEAD", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------
try:
    CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
except Exception as exc:
    raise ImproperlyConfigured(f"CACHE_URL has a bad value: {exc}") from exc
# The cache is optional: a Redis cache that stops answering is skipped (friendlygov.cache).
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "friendlygov.cache.OptionalRedisCache"
# A cache every process shares (Redis) holds what a signed-in request needs, so that a
# warm request costs no database round trip for it: the session (cached_db: written
# through to the database, read from the cache) and the user with its scope
# (communes.auth, invalidated on every change). The per-process default cannot: a
# logout, a new password or a changed role in one process would not reach the others.
SHARED_CACHE = CACHES["default"]["BACKEND"] == "friendlygov.cache.OptionalRedisCache"
# communes.sessions is cached_db reading the signed-in user's entry with the session.
SESSION_ENGINE = "communes.sessions" if SHARED_CACHE else "django.contrib.sessions.backends.db"

# --- Applications ---------------------------------------------------------------------
INSTALLED_APPS = [
    # Before the admin: criteria, questions and practices in Vietnamese and English.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "simple_history",
    "axes",
    "django_celery_beat",
    "friendlygov",
    "communes",
    "surveys",
    "targets",
    # Demo data, scale data, benchmarks and load tests: not the product (ARCHITECTURE.md).
    "tooling",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "friendlygov.middleware.permissions_policy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, handing the user's entry read with the session to the backend.
    "communes.auth.AuthenticationMiddleware",
    "friendlygov.middleware.RefuseInvalidCharacters",
    "friendlygov.middleware.private_pages",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "friendlygov.urls"
WSGI_APPLICATION = "friendlygov.wsgi.application"

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
                "communes.context_processors.scope",
            ],
        },
    },
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the signed-in user through the shared cache.
    "communes.auth.CachedModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "worklist"  # "needs my action": each user's landing
LOGOUT_REDIRECT_URL = None  # show "you have logged out" with a link back

# Login throttling: locked after repeated failures for one username from one address.
AXES_FAILURE_LIMIT = _read("AXES_FAILURE_LIMIT", env.int, default=5)
AXES_COOLOFF_TIME = _read("AXES_COOLOFF_MINUTES", env.int, default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_CALLABLE = "friendlygov.login.axes_username"
# Password reset (friendlygov.login.PasswordResetView), per hour: the mails one address
# gets, and the requests one client may send.
PASSWORD_RESET_PER_ADDRESS = _read("PASSWORD_RESET_PER_ADDRESS", env.int, default=3)
PASSWORD_RESET_PER_CLIENT = _read("PASSWORD_RESET_PER_CLIENT", env.int, default=20)

# Behind the reverse proxy every request comes from the proxy's address: the header it
# sets with the client's address (e.g. HTTP_X_REAL_IP) is what login throttling and the
# kiosk's per-client throttle must count.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="REMOTE_ADDR")
AXES_IPWARE_META_PRECEDENCE_ORDER = (CLIENT_IP_HEADER, "REMOTE_ADDR")
SURVEY_CLIENT_IP_HEADER = CLIENT_IP_HEADER
# The address printed on the kiosk QR posters (the request's own address when unset).
SURVEY_PUBLIC_BASE_URL = env.str("SURVEY_PUBLIC_BASE_URL", default="") or None

# E-mail (notifications, password reset, invitations). EMAIL_URL picks the backend:
# the console unless set (development), e.g. smtp+tls://user:password@smtp.example.vn:587
# in production (django-environ's email URL).
try:
    _email = env.email_url("EMAIL_URL", default="consolemail://")
except Exception as exc:  # django-environ raises several kinds here
    raise ImproperlyConfigured(f"EMAIL_URL has a bad value: {exc}") from exc
if "EMAIL_BACKEND" not in _email:
    raise ImproperlyConfigured("EMAIL_URL has a bad value: use smtp://, smtp+tls://, ...")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="cqtt@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = _read("EMAIL_TIMEOUT", env.int, default=20)
# The portal's address as users reach it, for links in e-mails.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# --- Language, time, formats ----------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Content in both languages (communes/translation.py): an English column left empty
# shows the Vietnamese.
MODELTRANSLATION_DEFAULT_LANGUAGE = "vi"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("vi",)
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["friendlygov.formats"]

# --- Static and uploaded files --------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded evidence is private: it lives outside STATIC_ROOT, has no public URL and is
# downloaded only through views that check the caller's scope.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EVIDENCE_MAX_UPLOAD_MB = _read("EVIDENCE_MAX_UPLOAD_MB", env.int, default=10)
# Submitted evidence waiting longer than this is marked overdue in the reviewers' queue.
EVIDENCE_REVIEW_OVERDUE_DAYS = _read("EVIDENCE_REVIEW_OVERDUE_DAYS", env.int, default=5)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Beyond this many files a request is refused before they are read (the evidence form
# itself takes communes.forms.MAX_FILES_PER_UPLOAD, with its own message).
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# --- Forms ----------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker (the embedded default of `make run`) tasks run in-process.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = _bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A page must never hang because Redis is down: `.delay()` gives up after about a second
# (tests/test_faults_redis.py). Redis stopped: it fails at once; Redis hung (accepts
# connections, never answers): without the socket timeouts it blocked without end.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "socket_connect_timeout": 1,
    "socket_timeout": 1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
# No publish retries: each would add a socket timeout, and redis-py already reconnects a
# pooled connection that a Redis restart broke.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Django's default, stated so that it is not lost: other sites opened from a page (or
# opening one) get no handle on its window.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Browser features no page of the portal uses are switched off (friendlygov.middleware).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer", "camera", "display-capture", "geolocation", "gyroscope",
        "magnetometer", "microphone", "midi", "payment", "usb",
    )
}  # fmt: skip
# A signed-in session lasts a working day, then the user logs in again.
SESSION_COOKIE_AGE = 8 * 60 * 60
# Django's own view, stated here: it renders templates/403_csrf.html, a page in the
# user's language that says to reload and send again, instead of Django's English page.
CSRF_FAILURE_VIEW = "friendlygov.views.csrf_failure"
if not DEBUG:
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = _bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", env.int, default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Behind the reverse proxy, which terminates TLS and sets this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content Security Policy: no inline scripts, no third-party origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Inline styles stay allowed: Django admin and crispy forms use style attributes.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
