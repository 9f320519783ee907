"""Settings for the test suite: the same settings, with safe defaults for what tests need."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")  # noqa: S105

from friendlygov.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="friendlygov-test-media-"))
CELERY_TASK_EAGER_PROPAGATES = True
SECURE_SSL_REDIRECT = False
AXES_ENABLED = os.environ.get("AXES_ENABLED", "1") == "1"
# Serve static files from the source folders, as runserver does; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
