import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The world creates fifteen users; the production hasher would spend seconds per test.
    Autouse fixtures run before `world`, so its users get the fast hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
