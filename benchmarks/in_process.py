"""Django set up inside a benchmark script against a database `scale.py` loaded, as
production runs it: DEBUG off, no cache (REDIS_URL unset: each figure is the server's own
work, not a cache hit), tasks run inline. For admin_scale.py and insights_scale.py."""

import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup(*, postgres: str, database: str) -> None:
    os.environ.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"{postgres}/{database}",
        SECURE_SSL_REDIRECT="0",
        TASK_BACKEND="immediate",
        DJANGO_SETTINGS_MODULE="progress_site.settings",
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
