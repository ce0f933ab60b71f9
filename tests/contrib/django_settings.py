"""Minimal Django settings for the StatusGuardMiddleware tests (tests/contrib/test_django.py).

Applied with ``settings.configure()`` only when nothing configured Django before; the tests
set everything they rely on (URLconf, MIDDLEWARE, STATUSGUARD) with ``override_settings``, so
they also run under settings another test module configured first.
"""

from __future__ import annotations

SECRET_KEY = "statusguard-tests"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
INSTALLED_APPS = ["statusguard.contrib.django"]
MIDDLEWARE = [
    "statusguard.contrib.django.StatusGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "contrib.django_urls"
STATUSGUARD = {"mode": "fix"}
USE_TZ = True
LOGGING_CONFIG = None  # leave the root logger to pytest's log capture
