"""python manage.py verify_history: recompute the history; exit non-zero on any tampering."""

import time

from django.core.management.base import BaseCommand, CommandError

from wagewatch.history.signing import decode_key
from wagewatch.history.verify import verify_history


class Command(BaseCommand):
    help = "重新计算全部历史事件的叶子哈希、序号连续性、各签名树头的根哈希与签名;发现篡改时以非零状态退出并指出第一个有问题的序号"

    def add_arguments(self, parser):
        parser.add_argument(
            "--trusted-key",
            action="append",
            default=[],
            help="另外信任的树头公钥(base64 或十六进制,可重复;默认只信任当前签名密钥)",
        )
        parser.add_argument("--nodes", action="store_true", help="同时核对存储的默克尔树节点(用于证明)")

    def handle(self, *args, **options):
        trusted = None
        if options["trusted_key"]:
            from wagewatch.history.signing import public_key_bytes

            trusted = [public_key_bytes()] + [decode_key(k) for k in options["trusted_key"]]
        started = time.perf_counter()
        report = verify_history(trusted_keys=trusted, check_nodes=options["nodes"])
        elapsed = time.perf_counter() - started
        summary = f"已核对 {report.events} 条事件、{report.tree_heads} 个签名树头"
        if options["nodes"]:
            summary += f"、{report.nodes_checked} 个树节点"
        summary += f",用时 {elapsed:.1f} 秒"
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"{summary}:历史记录完整,未发现篡改"))
            return
        self.stderr.write(summary)
        for problem in report.problems:
            self.stderr.write(f"  - {problem.message}")
        seq = report.first_bad_seq
        if seq is not None:
            raise CommandError(f"历史记录校验失败:第一个有问题的序号为 {seq}")
        raise CommandError("历史记录校验失败:签名树头有问题")
