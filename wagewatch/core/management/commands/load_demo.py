import time

from django.core.management.base import BaseCommand, CommandError

from wagewatch.demo import loader


class Command(BaseCommand):
    help = "载入演示数据(示范区:辖区、单位、企业、建设项目、各角色用户),全部经由业务服务写入并留痕。"

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="数据库已有数据时跳过(供 make run 反复执行)")

    def handle(self, *args, if_empty=False, **options):
        if not loader.database_is_empty():
            if if_empty:
                self.stdout.write("数据库中已有数据,跳过演示数据。")
                return
            raise CommandError("数据库中已有数据:演示数据只能载入空数据库。请换一个空数据库,或使用 --if-empty 跳过。")
        started = time.monotonic()
        ctx = loader.load(progress=lambda message: self.stdout.write(message))
        summary = "、".join(f"{label}{count}个" for label, count in ctx.counts.items())
        # Sign the demo's history at once rather than at the next periodic run.
        from wagewatch.history.services import tree_head_publish

        head = tree_head_publish(actor=None)
        self.stdout.write(self.style.SUCCESS(f"演示数据已载入({time.monotonic() - started:.1f} 秒):{summary}"))
        if head is not None:
            self.stdout.write(f"已发布签名树头:规模 {head.tree_size},根哈希 {head.root_hash[:16]}…")
        self.stdout.write(f"统一演示密码:{loader.DEMO_PASSWORD}")
        self.stdout.write(f"数据接口令牌(用户 data_feed,请求头 Authorization: Bearer 令牌):{ctx.api_token}")
