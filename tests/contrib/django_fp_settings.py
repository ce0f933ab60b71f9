"""Django settings for the servers of ``wire/test_strict_wire.py`` (``DJANGO_SETTINGS_MODULE``).

``STATUSGUARD_INTEGRATION`` in the environment picks how statusguard is installed:
``middleware`` (``StatusGuardMiddleware`` first in ``MIDDLEWARE``) or ``wsgi`` (no middleware:
:mod:`contrib.django_fp_wsgi` wraps the handler in ``WSGIStatusGuard``).  The mode comes from
``STATUSGUARD_MODE``, as in production.  In process, ``test_false_positives.py`` applies the
same values with ``override_settings``.
"""

from __future__ import annotations

import os

SECRET_KEY = "statusguard-tests"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
INSTALLED_APPS = ["statusguard.contrib.django"]
COMMON = "django.middleware.common.CommonMiddleware"
GUARD = "statusguard.contrib.django.StatusGuardMiddleware"
MIDDLEWARE = (
    [GUARD, COMMON] if os.environ.get("STATUSGUARD_INTEGRATION") == "middleware" else [COMMON]
)
ROOT_URLCONF = "contrib.django_fp_urls"
STATUSGUARD = {"logger": "statusguard"}
# DRF without django.contrib.auth: no user model to import for an anonymous request.
REST_FRAMEWORK = {"UNAUTHENTICATED_USER": None}
USE_TZ = True
LOGGING_CONFIG = None  # leave logging to pytest (in process) and to the server
