"""python manage.py publish_tree_head: sign a tree head now (skips when nothing changed)."""

from django.core.management.base import BaseCommand, CommandError

from wagewatch.history.services import HistoryIntegrityError, tree_head_publish


class Command(BaseCommand):
    help = "立即发布签名树头(自上次发布以来没有新事件时跳过)"

    def handle(self, *args, **options):
        try:
            head = tree_head_publish(actor="命令行")
        except HistoryIntegrityError as exc:
            raise CommandError(f"拒绝发布树头:{exc}") from exc
        if head is None:
            self.stdout.write("自上次发布以来没有新事件,未发布新的树头")
            return
        self.stdout.write(self.style.SUCCESS(f"已发布树头:规模 {head.tree_size},根哈希 {head.root_hash}"))
