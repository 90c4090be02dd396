import re

from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """Passwords mix at least three of: lower case, upper case, digits, symbols."""

    def validate(self, password, user=None):
        classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
        if classes < 3:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return "密码须包含小写字母、大写字母、数字、符号中的至少三类"
