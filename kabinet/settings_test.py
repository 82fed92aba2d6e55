"""Settings for the test suite: the real settings with what only plain-HTTP test clients need.

Everything else (database from DATABASE_URL, Redis from REDIS_URL, middleware, CSP) stays as in
production, so the tests exercise the real configuration.
"""

from kabinet.settings import *  # noqa: F403

HTTPS = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
# Hashing with Argon2 on every test sign-in would cost minutes; R5 is asserted on the real
# settings module (kabinet.settings) instead.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
if REDIS_URL:  # noqa: F405
    # Tests share the Redis server with anything else on the machine: keep their keys apart.
    CACHES["default"]["KEY_PREFIX"] = "kabinet-test"  # noqa: F405
