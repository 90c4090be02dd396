from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils import timezone

from . import login_throttle
from .models import Role, User
from .passwords import validate_password
from .services import user_is_locked, user_lock_expire, user_login_failed, user_login_succeeded, user_password_change
from .text import TextFormMixin


class ThrottledAuthenticationForm(AuthenticationForm):
    """Sign-in slowed by growing delays per name, per address and per name-and-address
    (`login_throttle`), with one answer whether or not the name exists. Nothing an outsider types
    can lock an account. What only the account's owner may learn (locked by an administrator, an
    interface-only account) is said only after the right password."""

    error_messages = {
        "invalid_login": "用户名或密码错误。",
        "inactive": "该账户已停用,请联系系统管理员。",
        "locked": "该账户已被系统管理员锁定至 %(until)s,请联系系统管理员。",
        "api_only": "数据接口用户只能通过接口令牌调用接口,不能登录页面。",
    }

    def _address(self) -> str:
        from wagewatch.notify.ratelimit import client_ip

        return client_ip(self.request) if self.request is not None else ""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (username and password):
            return super().clean()
        address = self._address()
        wait = login_throttle.wait_seconds(username, address)
        if wait:
            login_throttle.refusal_record(username=username, address=address, wait=wait)
            raise forms.ValidationError(login_throttle.wait_message(wait), code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            if getattr(error, "code", None) == "invalid_login" or self.user_cache is None:
                login_throttle.failure_record(username=username, address=address)
                account = User.objects.filter(username=username).first()
                if account is not None:
                    user_login_failed(user=account)
            raise
        login_throttle.success_record(username=username, address=address)
        user_login_succeeded(user=self.get_user())
        return cleaned

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user_is_locked(user):
            until = timezone.localtime(user.locked_until).strftime("%Y-%m-%d %H:%M")
            raise forms.ValidationError(self.error_messages["locked"], code="locked", params={"until": until})
        if user.role == Role.DATA_PROVIDER:
            raise forms.ValidationError(self.error_messages["api_only"], code="api_only")
        if user.locked_until is not None:
            # The administrator's lock ran out: lift it now so the history shows when it ended.
            user_lock_expire(user=user)


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


class Form(TextFormMixin, forms.Form):
    """The base of every form of the platform: text fields refuse control characters
    (`wagewatch.core.text`)."""


class ModelForm(TextFormMixin, forms.ModelForm):
    """The same for a model form (the admin's editable models use it: `form = ModelForm`)."""
