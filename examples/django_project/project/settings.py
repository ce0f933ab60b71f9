"""Settings of the statusguard example project.

Run it from this directory (``examples/django_project``)::

    python manage.py runserver                      # DEBUG: strict mode
    STATUSGUARD_MODE=warn python manage.py runserver
    STATUSGUARD_MODE=fix gunicorn project.wsgi      # or uvicorn project.asgi:application

then open http://127.0.0.1:8000/ for the list of views, each breaking one HTTP rule the way
Django projects do by accident.  ``python manage.py check --tag statusguard`` runs the checks of
the ``STATUSGUARD`` setting.

The three modes (``STATUSGUARD["mode"]``):

* ``"strict"`` -- development and tests: a violation raises ``statusguard.StatusGuardError``
  naming the rule and the RFC section; ``runserver`` shows the traceback page (DEBUG) and
  Django's test client raises it in the test.
* ``"warn"`` -- staging: the response goes out unchanged; each violation is logged on the
  ``"statusguard"`` logger (the first occurrence at once, repeats as counts every
  ``log_interval`` seconds) and passed to ``on_violation``.
* ``"fix"`` -- production: what can be repaired safely is repaired on the response object
  (204 content discarded, the ``Content-Length`` CommonMiddleware put on it removed, a
  malformed ``Date`` replaced, a control character in a header dropped); the rest
  (401 without ``WWW-Authenticate``) is logged.

This file picks the mode from the ``STATUSGUARD_MODE`` environment variable, defaulting to
strict under DEBUG and fix otherwise; a project may as well write the mode literally.  Single
rules can be turned off or set to their own mode with ``"rules"``.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "statusguard-example-not-a-secret"
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    # Registers the system checks of the STATUSGUARD setting (statusguard.E001...).
    "statusguard.contrib.django",
]

MIDDLEWARE = [
    # First, so that it is the outermost layer and sees the final response: CommonMiddleware
    # adds Content-Length to every non-streaming response, a 204 included.
    "statusguard.contrib.django.StatusGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
]

STATUSGUARD = {
    "mode": os.environ.get("STATUSGUARD_MODE", "strict" if DEBUG else "fix"),
    "rules": {
        # An example of a per-rule override: a missing Content-Type is only reported.
        "content-type-missing": "warn",
    },
    "on_violation": "project.views.count_violation",
}

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
ASGI_APPLICATION = "project.asgi.application"

USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"statusguard": {"handlers": ["console"], "level": "INFO"}},
}
