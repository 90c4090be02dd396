from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils import timezone

from .models import User
from .passwords import validate_password
from .services import user_is_locked, user_lock_expire, user_login_failed, user_login_succeeded, user_password_change


class LockoutAuthenticationForm(AuthenticationForm):
    """Login that locks the account after repeated failures (LOGIN_MAX_FAILURES)."""

    error_messages = {
        "invalid_login": "用户名或密码错误。连续输错多次账户将被临时锁定。",
        "inactive": "该账户已停用,请联系系统管理员。",
        "locked": "该账户因多次密码错误已被锁定,请于 %(until)s 后再试,或联系系统管理员解锁。",
    }

    def _locked_error(self, account: User) -> forms.ValidationError:
        until = timezone.localtime(account.locked_until).strftime("%H:%M")
        return forms.ValidationError(self.error_messages["locked"], code="locked", params={"until": until})

    def clean(self):
        username = self.cleaned_data.get("username")
        account = User.objects.filter(username=username).first() if username else None
        if account is not None and user_is_locked(account):
            raise self._locked_error(account)
        if account is not None and account.locked_until is not None:
            # The lock ran out: lift it now so the history shows when it ended.
            account = user_lock_expire(user=account)
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if account is not None:
                account = user_login_failed(user=account)
                if user_is_locked(account):
                    raise self._locked_error(account) from None
            raise
        user_login_succeeded(user=self.get_user())
        return cleaned


class UserPasswordChangeForm(PasswordChangeForm):
    """Change one's own password; the rules are AUTH_PASSWORD_VALIDATORS, the messages Chinese."""

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "原密码不正确,请重新输入。",
        "password_mismatch": "两次输入的新密码不一致。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "原密码"
        self.fields["new_password1"].label = "新密码"
        self.fields["new_password2"].label = "确认新密码"

    def validate_password_for_user(self, user, password_field_name="password2"):
        password = self.cleaned_data.get(password_field_name)
        if password:
            try:
                validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error(password_field_name, error)

    def clean(self):
        cleaned = super().clean()
        new, old = cleaned.get("new_password1"), cleaned.get("old_password")
        if new and old and new == old and "new_password2" not in self.errors:
            self.add_error("new_password2", forms.ValidationError("新密码不能与原密码相同。", code="password_unchanged"))
        return cleaned

    def save(self, commit=True):
        return user_password_change(actor=self.user, user=self.user, new_password=self.cleaned_data["new_password1"])
