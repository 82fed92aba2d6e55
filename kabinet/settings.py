"""Kabinet settings: one module, driven by the environment.

Nothing here depends on *where* Kabinet runs; the environment says it. The defaults give the
embedded demo (SQLite, local memory cache, e-mail written to files). A production deployment
sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL and the EMAIL_* variables;
see the configuration table in README.md.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KABINET_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _dev_secret_key() -> str:
    """A per-checkout key kept in an ignored file, so sessions survive restarts of the demo."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = os.environ.get("SECRET_KEY") or _dev_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "bootstrap",
    "ninja",
    "kabinet.accounts",
    "kabinet.partners",
    "kabinet.scheduler",
    "kabinet.catalog",
    "kabinet.orders",
    "kabinet.finance",
    "kabinet.content",
    "kabinet.notifications",
    "kabinet.outbox",
    "kabinet.integrations",
    "kabinet.web",
    "kabinet.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the user read in the same statement as the session.
    "kabinet.partners.sessions.AuthenticationMiddleware",
    "kabinet.accounts.access.AccessMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kabinet.partners.access.TenantMiddleware",
    # Last, as django-axes asks: it turns a lockout into a 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kabinet.urls"
WSGI_APPLICATION = "kabinet.wsgi.application"
ASGI_APPLICATION = "kabinet.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kabinet.web.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite (WAL) by default; PostgreSQL when DATABASE_URL says so.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'kabinet.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Django's SQLite backend plus a LIKE that ignores case in Cyrillic too (see the module).
    DATABASES["default"]["ENGINE"] = "kabinet.sqlite"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE makes a writing transaction take the lock at BEGIN, so the web server and
        # the worker queue up instead of failing with "database is locked" half-way through.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file, not memory, so that a real worker process can share the database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-kabinet.sqlite3")}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions -----------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "kabinet"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# In the database, with Redis too: read with the user in one statement, a session costs no
# round trip of its own (partners.sessions; decisions.md, 2026-12-03).
SESSION_ENGINE = "kabinet.partners.sessions"

# --- Background tasks ------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Accounts --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username or address is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, the user of a request read with its access stamp (one query).
    "kabinet.partners.backends.AccessStampBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Invitations and password links (ACC3-ACC5, R7).
INVITATION_TTL_DAYS = int(os.environ.get("INVITATION_TTL_DAYS", "7"))
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", "3600"))  # at most 1 h
# Warn users (and their partner admins) this many days before their access expires (ACC9).
ACCESS_EXPIRY_WARNING_DAYS = int(os.environ.get("ACCESS_EXPIRY_WARNING_DAYS", "7"))

# Sessions (R6): the idle timeout slides with the requests of a signed-in user, pushed forward
# at most once a SESSION_REFRESH_INTERVAL (accounts.access.session_touch: not a write per
# page view); the absolute one counts from sign-in.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_INTERVAL = 60
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT", str(12 * 3600)))

# Lockout (R4) with django-axes: failures count per username and, separately, per address.
# Five failures lock for 15 minutes; each further lockout within a day doubles the cool-off.
AXES_FAILURE_LIMIT = int(os.environ.get("LOCKOUT_FAILURES", "5"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = "kabinet.accounts.lockout.cool_off"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "kabinet.accounts.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "kabinet.accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "kabinet.accounts.lockout.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The client address comes from X-Forwarded-For only when the request arrives from one of
# these proxies (comma-separated addresses); otherwise from the TCP connection.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

# Two-factor sign-in (ACC11, R7): TOTP through django-otp, with recovery codes.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Kabinet")
MFA_RECOVERY_CODES = 10
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", default=True)
MFA_POLICY = "kabinet.partners.access.partner_requires_mfa"
AUDIT_PARTNER_OF = "kabinet.partners.access.partner_id_for_audit"

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "kabinet" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
LANGUAGE_COOKIE_NAME = "kabinet_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"  # also hard-coded in accounts.views (typed Literal)

# --- Static and media files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start otherwise
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
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

# --- E-mail -----------------------------------------------------------------------------------
# With EMAIL_HOST set, mail goes through SMTP; otherwise it is written to files under
# var/mail/ (and echoed to the console) so the demo's links can be followed without a server.
# (Django 6.1 "mailers"; the environment variables keep the familiar EMAIL_* names.)
_email_host = os.environ.get("EMAIL_HOST", "")
if _email_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": int(os.environ.get("EMAIL_PORT", "587")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", default=False),
                "use_ssl": env_bool("EMAIL_USE_SSL", default=False),
                "timeout": int(os.environ.get("EMAIL_TIMEOUT", "20")),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "kabinet.notifications.backends.DemoFileBackend",
            "OPTIONS": {"file_path": os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))},
        }
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Kabinet <noreply@kabinet.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security ---------------------------------------------------------------------------------
# Secure defaults everywhere; the demo on plain http://127.0.0.1 relaxes only what HTTPS needs.
HTTPS = env_bool("HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# "preload" only takes effect once the domain is submitted to the browsers' list.
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("TRUST_PROXY_HEADERS", default=False):
    # Only behind a reverse proxy that sets this header itself (see README).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "kabinet_session"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_NAME = "kabinet_csrftoken"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# A strict policy: no inline script or style anywhere, nothing from other hosts.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own "django" handlers (a console handler when DEBUG is on) would print
        # every line of the worker and the scheduler a second time beside the root's.
        "django": {"handlers": [], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "django.db.backends": {"level": "WARNING"},
        # Our audit log records sign-ins; axes' own INFO lines would only repeat it.
        "axes": {"level": "WARNING"},
        # One line per delivery to the ERP would drown the log; the relay logs failures.
        "httpx": {"level": "WARNING"},
    },
}

# --- Kabinet ----------------------------------------------------------------------------------
KABINET_SUPPLIER_NAME = os.environ.get("KABINET_SUPPLIER_NAME", "МедТехСнаб")
# Who hears of a submitted order when its partner has no manager (empty: nobody).
ORDERS_NOTIFY_EMAIL = os.environ.get("ORDERS_NOTIFY_EMAIL", "")
# Catalog: stock as a number, or as a level ("many" above the threshold, "few" below).
CATALOG_STOCK_DISPLAY = os.environ.get("CATALOG_STOCK_DISPLAY", "level")
CATALOG_STOCK_MANY = int(os.environ.get("CATALOG_STOCK_MANY", "20"))

# The 1C exchange at /exchange/1c/ (INT2; kabinet/integrations/onec, docs/erp-1c.md).
ONEC_EXCHANGE_DIR = Path(os.environ.get("ONEC_EXCHANGE_DIR", VAR_DIR / "onec"))
ONEC_ZIP = env_bool("ONEC_ZIP", default=True)
ONEC_FILE_LIMIT = int(os.environ.get("ONEC_FILE_LIMIT", str(16 * 1024 * 1024)))  # per chunk
ONEC_MAX_FILE_BYTES = int(os.environ.get("ONEC_MAX_FILE_BYTES", str(1024 * 1024 * 1024)))
ONEC_ZIP_MAX_ENTRIES = int(os.environ.get("ONEC_ZIP_MAX_ENTRIES", "1000"))
ONEC_ZIP_MAX_BYTES = int(os.environ.get("ONEC_ZIP_MAX_BYTES", str(1024 * 1024 * 1024)))
ONEC_IMPORT_SECONDS = float(os.environ.get("ONEC_IMPORT_SECONDS", "20"))  # then "progress"
ONEC_IMPORT_BATCH = int(os.environ.get("ONEC_IMPORT_BATCH", "500"))
ONEC_SESSION_SECONDS = int(os.environ.get("ONEC_SESSION_SECONDS", str(12 * 3600)))
ONEC_QUERY_LIMIT = int(os.environ.get("ONEC_QUERY_LIMIT", "500"))  # orders per query
ONEC_ENCODING = os.environ.get("ONEC_ENCODING", "windows-1251")
ONEC_LOCKOUT_FAILURES = int(os.environ.get("ONEC_LOCKOUT_FAILURES", "10"))  # per address
ONEC_LOCKOUT_SECONDS = int(os.environ.get("ONEC_LOCKOUT_SECONDS", "900"))

# --- ERP exchange: the outbox relay (docs/erp-exchange.md, "Outbound messages") -----------
# Woken on commit of every outbox message; the scheduler's every-minute run catches the rest.
OUTBOX_RELAY_WAKE = "kabinet.integrations.erp.relay.relay_wake"
# A message is parked as failed (staff retry it) after this many attempts.
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "10"))
# Retry n waits about base × 2^(n-1) seconds (with jitter), never more than the cap.
OUTBOX_RETRY_BASE_SECONDS = float(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "10"))
OUTBOX_RETRY_CAP_SECONDS = float(os.environ.get("OUTBOX_RETRY_CAP_SECONDS", "3600"))
OUTBOX_DELIVERY_TIMEOUT = float(os.environ.get("OUTBOX_DELIVERY_TIMEOUT", "10"))
# A claimed message is not claimed again for this long: longer than a delivery can take,
# so only a relay that died mid-delivery lets it go to another.
OUTBOX_LEASE_SECONDS = float(os.environ.get("OUTBOX_LEASE_SECONDS", "60"))
