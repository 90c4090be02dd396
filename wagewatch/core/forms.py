from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from .models import User
from .services import user_is_locked, user_login_failed, user_login_succeeded


class LockoutAuthenticationForm(AuthenticationForm):
    """Login that locks the account after repeated failures (LOGIN_MAX_FAILURES)."""

    error_messages = {
        "invalid_login": "用户名或密码错误。连续输错多次账户将被临时锁定。",
        "inactive": "该账户已停用,请联系系统管理员。",
        "locked": "该账户因多次密码错误已被锁定,请于 %(until)s 后再试,或联系系统管理员解锁。",
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        account = User.objects.filter(username=username).first() if username else None
        if account is not None and user_is_locked(account):
            until = timezone.localtime(account.locked_until).strftime("%H:%M")
            raise forms.ValidationError(self.error_messages["locked"], code="locked", params={"until": until})
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if account is not None:
                account = user_login_failed(user=account)
                if user_is_locked(account):
                    until = timezone.localtime(account.locked_until).strftime("%H:%M")
                    raise forms.ValidationError(self.error_messages["locked"], code="locked", params={"until": until}) from None
            raise
        user_login_succeeded(user=self.get_user())
        return cleaned
