import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect


class SessionIdleTimeoutMiddleware:
    """Signs a user out after SESSION_IDLE_MINUTES without a request (shared office PCs)."""

    KEY = "last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - last > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(request, f"您已{settings.SESSION_IDLE_MINUTES}分钟未操作,请重新登录")
                    return redirect(f"/login/?next={request.path}")
            else:
                request.session[self.KEY] = now
        return self.get_response(request)
