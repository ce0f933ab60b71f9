"""Settings of the Django ASGI test project: no database, no apps, CommonMiddleware on.

CommonMiddleware is what adds ``Content-Length`` to every non-streaming response, including a
204 (the combination users report from Django under uvicorn).
"""

from __future__ import annotations

SECRET_KEY = "statusguard-asgi-tests"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "django_asgi_project.urls"
DATABASES: dict[str, object] = {}
USE_TZ = True
