from django.core.management.base import BaseCommand, CommandError

from wagewatch.core.auth import api_token_create
from wagewatch.core.models import User


class Command(BaseCommand):
    help = "为用户生成接口令牌并打印(只显示这一次)。用法:python manage.py create_api_token 用户名 [--name 用途]"

    def add_arguments(self, parser):
        parser.add_argument("username", help="用户名")
        parser.add_argument("--name", default="", help="令牌用途,例如“税务数据推送”")

    def handle(self, *args, username, name="", **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在,请核对用户名")
        if not user.is_active:
            raise CommandError(f"用户“{username}”已停用,不能生成接口令牌")
        token = api_token_create(user=user, name=name)
        # The token alone on stdout, so scripts can capture it; the hint goes to stderr.
        self.stderr.write(f"已为用户“{username}”生成接口令牌(只显示这一次),请求头:Authorization: Bearer <令牌>")
        self.stdout.write(token)
