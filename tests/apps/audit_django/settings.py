"""A Django project of the kind users have, for ``statusguard check --django-settings``:
GZip and ConditionalGet middleware (in the order Django's docs give), a class-based view,
function views, a ``FileResponse``."""

SECRET_KEY = "audit-test"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "apps.audit_django.urls"
USE_TZ = True
MIDDLEWARE = [
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.common.CommonMiddleware",
]
INSTALLED_APPS: list[str] = []
DATABASES: dict[str, object] = {}
