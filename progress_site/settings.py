"""Settings for the progress tracker: one module, driven by environment variables.

Every variable it reads is listed in README.md ("Configuration").
"""

import hashlib
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY when DEBUG is off.")
    # Development only: a fixed key so sessions survive restarts of `make run`.
    SECRET_KEY = "django-insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks_db",
    "accounts",
    "courses",
    "achievements",
    "credentials",
    "insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files are answered here, before sessions and auth cost anything.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into a 429 response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "progress_site.urls"
WSGI_APPLICATION = "progress_site.wsgi.application"

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
                "django.template.context_processors.csp",
                "insights.context_processors.insights_link",
            ],
        },
    },
]


# Database: SQLite file by default, any URL django-environ understands otherwise.
DATABASES = {
    "default": {
        **env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
    }
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding lets psycopg prepare a statement itself once a connection has
    # run it five times (its prepare_threshold): PostgreSQL then skips planning it, about
    # a third of the database's CPU per completion (docs/performance.md). Behind a
    # transaction-mode pooler this needs PgBouncer 1.22+ (max_prepared_statements).
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite defaults lose parallel writes to "database is locked": take the
    # write lock when the transaction starts and wait for it instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rendered learner pages are cached (courses/page_cache.py). Server processes must share
# the cache, or one would serve a page another has made stale: REDIS_URL names it.
# Without it, development (one process) keeps a local cache and production caches nothing.
# Names the running code in every cache key (KEY_PREFIX), so that a deployment never
# serves pages the code it replaced rendered: `make serve` sets it to the git commit.
RELEASE = env.str("RELEASE", default="dev")
# Pages are keyed by learner id: two sites (staging and production, say) sharing a Redis
# database must not share keys. By default the prefix names the database the pages were
# read from.
CACHE_KEY_PREFIX = (
    env.str("CACHE_KEY_PREFIX", default="")
    or "progress-"
    + hashlib.blake2b(
        "{HOST}:{PORT}/{NAME}".format(**DATABASES["default"]).encode(), digest_size=6
    ).hexdigest()
)
if env.str("REDIS_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": env.str("REDIS_URL"),
            "KEY_PREFIX": f"{CACHE_KEY_PREFIX}:{RELEASE}",
            "OPTIONS": {
                # An unreachable cache is a miss that costs milliseconds, never an error:
                # pages are rendered from the database; writes never touch the cache.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.25,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache"
            if DEBUG
            else "django.core.cache.backends.dummy.DummyCache",
            "KEY_PREFIX": f"{CACHE_KEY_PREFIX}:{RELEASE}",
        }
    }
# Throttling counters (sign-up): shared through Redis like the pages, but under a prefix
# a new release does not change; without Redis, counted per process.
CACHES["throttle"] = (
    {**CACHES["default"], "KEY_PREFIX": f"{CACHE_KEY_PREFIX}:throttle"}
    if "LOCATION" in CACHES["default"]
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
)
RATELIMIT_USE_CACHE = "throttle"


AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out sign-in before any password is checked. It
# has no get_user(), so sessions (and the test client's force_login) use ModelBackend.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.SignInThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # In production whitenoise serves collectstatic's output: content-hashed names
    # (cached for a year) and pre-compressed copies. Development and the tests keep
    # Django's plain storage, which needs no collectstatic.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Read at import, not from settings.DEBUG, which the test runner turns off: development
# and tests serve static files straight from the app folders, without collectstatic.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# Database sessions whose lost connection is a 500, not "your session was deleted".
SESSION_ENGINE = "accounts.sessions"

# Strict policy: no inline script or style anywhere; htmx's own indicator <style>
# is switched off in the base template's htmx-config meta tag.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Pages hand htmx the token through the template ({{ csrf_token }}); no script reads it.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# HTTPS only once DEBUG is off; `make run` and the tests speak plain http. Behind a
# TLS-terminating proxy, name the header it sets (e.g. HTTP_X_FORWARDED_PROTO): the
# proxy must overwrite it, or a client could claim https.
if env.str("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = (env.str("SECURE_PROXY_SSL_HEADER"), "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# The header only allows a submission to the browsers' preload list; nothing is sent.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT failures for one username,
# or from one client address, sign-in is refused with 429 until the cool-off has passed.
# Attempts live in the database, so every app server behind a load balancer agrees.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"
# Behind a proxy every request comes from the proxy's address: name the header in which
# the proxy puts the client's address (e.g. HTTP_X_REAL_IP), or one lockout blocks all.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="REMOTE_ADDR")
# Sign-up throttling (django-ratelimit, per client address, in the shared cache; open
# when the cache is down rather than refusing every sign-up).
SIGNUP_RATE = env.str("SIGNUP_RATE", default="5/h")
RATELIMIT_FAIL_OPEN = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # StreamHandler writes to stderr: errors (django.request 500s included) land in the
    # process manager's log with gunicorn's own.
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    # An unreachable Redis: one line a minute, the first with its traceback.
    "filters": {"cache_errors": {"()": "courses.cache_errors.CacheErrorLogFilter"}},
    "loggers": {"django_redis.cache": {"filters": ["cache_errors"]}},
}

# Credentials (README "Credentials"): who issues the Open Badges and certificates, and how
# long shared HTTP caches may keep a public credential (so a revocation shows there
# within that many seconds).
BADGE_ISSUER_NAME = env.str("BADGE_ISSUER_NAME", default="Progress Academy (demo)")
BADGE_ISSUER_URL = env.str("BADGE_ISSUER_URL", default="")  # empty: this site's home page
BADGE_ISSUER_EMAIL = env.str("BADGE_ISSUER_EMAIL", default="badges@example.org")
CREDENTIALS_MAX_AGE = env.int("CREDENTIALS_MAX_AGE", default=300)

# `python manage.py test` runs the same pytest suite as `pytest`.
TEST_RUNNER = "pytest_django.runner.TestRunner"

# Background work (backfills, the follow-up of lesson edits): Django's tasks framework.
# "database": django-tasks-db keeps the tasks in the database and `manage.py db_worker`
# runs them (production; `make worker`); "immediate": each task runs in the process
# that enqueued it, after the commit (`make run`, the tests).
TASK_BACKEND = env.str("TASK_BACKEND", default="immediate" if DEBUG else "database")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django.tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
        }[TASK_BACKEND]
    }
}
