"""Password rules and their Chinese wording.

The rules are AUTH_PASSWORD_VALIDATORS in settings. Django's own validators are not (fully)
translated in 5.2 (the minimum-length message changed its msgid), so their errors and help
texts are reworded here by error code and class, whatever options the settings give them."""

import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """Passwords mix at least three of: lower case, upper case, digits, symbols."""

    def validate(self, password, user=None):
        classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
        if classes < 3:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return "密码须包含小写字母、大写字母、数字、符号中的至少三类"


ERROR_MESSAGES = {
    "password_too_short": "密码太短:至少需要 {min_length} 个字符",
    "password_too_similar": "密码与{verbose_name}过于相似,请换一个",
    "password_too_common": "密码过于常见,容易被猜中,请换一个",
    "password_entirely_numeric": "密码不能全是数字",
}

HELP_TEXTS = {
    password_validation.MinimumLengthValidator: lambda v: f"至少 {v.min_length} 个字符",
    password_validation.UserAttributeSimilarityValidator: lambda v: "不能与用户名、姓名等个人信息过于相似",
    password_validation.CommonPasswordValidator: lambda v: "不能是常见密码",
    password_validation.NumericPasswordValidator: lambda v: "不能全是数字",
}


def _chinese(error: ValidationError) -> ValidationError:
    template = ERROR_MESSAGES.get(error.code or "")
    if template is None:
        return error
    params = dict(error.params or {})
    if "verbose_name" in params:
        params["verbose_name"] = str(params["verbose_name"])
    try:
        return ValidationError(template.format(**params), code=error.code)
    except (KeyError, IndexError):
        return error


def validate_password(password: str, user=None) -> None:
    """Django's validate_password with every message in Chinese."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError([_chinese(e) for e in exc.error_list]) from None


def password_rules() -> list[str]:
    """The configured rules, in Chinese, for the password page."""
    rules = []
    for validator in password_validation.get_default_password_validators():
        wording = HELP_TEXTS.get(type(validator))
        rules.append(wording(validator) if wording else str(validator.get_help_text()))
    return rules
