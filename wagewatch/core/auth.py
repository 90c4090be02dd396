"""Bearer tokens for integrations (`python manage.py create_api_token USERNAME`)."""

import hashlib
import secrets

from django.db.models import Q
from django.utils import timezone
from ninja.security import HttpBearer

from .models import ApiToken, User


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user: User, name: str = "") -> str:
    """Create a token and return it in clear: this is the only time it is shown."""
    token = "ww_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, token_hash=token_hash(token), prefix=token[:8])
    return token


def usable_tokens():
    """Tokens that work right now: not revoked, of an account that is enabled and not locked by an
    administrator. Checked on every request, so disabling or locking a user stops its tokens at once."""
    return ApiToken.objects.filter(revoked_at__isnull=True, user__is_active=True).filter(
        Q(user__locked_until__isnull=True) | Q(user__locked_until__lte=timezone.now())
    )


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = (
            usable_tokens()
            .select_related("user", "user__organisation", "user__territory", "user__organisation__territory")
            .filter(token_hash=token_hash(token))
            .first()
        )
        if found is None:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        return found.user
