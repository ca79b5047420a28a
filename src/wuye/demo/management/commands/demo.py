"""``wuye demo``: seed the demo company, two communities and the staff logins, then print them."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wuye.demo.seed import seed


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


class Command(BaseCommand):
    help = (
        "Seed a deterministic demo (一家物业公司、两个小区、约 3,300 间房屋及住户档案) and print the "
        "staff logins. Running it again adds nothing. The logins share a published password: it runs "
        "only in the demo (WUYE_DEMO=1, as make demo sets), in development (WUYE_DEBUG=1) or with "
        "--i-know-this-is-not-production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="fraction of the floors to build, for quick trials (default 1 = the full demo)",
        )
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="seed even though WUYE_DEMO and WUYE_DEBUG are off (a staging copy, a benchmark machine); never in production",
        )

    def handle(self, *args, scale: float, not_production: bool = False, **options):
        # The demo's staff logins (admin and the others) share a password printed in the README: in a
        # production database they would be a way in for anyone.
        if not (settings.DEMO or not_production):
            raise CommandError(
                "拒绝运行：演示数据含公开密码的管理员账号，只能在演示模式（WUYE_DEMO=1，make demo 即如此）或开发模式"
                "（WUYE_DEBUG=1）下运行，"
                "或明确加上 --i-know-this-is-not-production；未写入任何数据。"
                " Refused: the demo seeds an administrator with a published password. It runs only in "
                "the demo (WUYE_DEMO=1, as make demo sets), development mode (WUYE_DEBUG=1) or with "
                "--i-know-this-is-not-production. "
                "Nothing was written."
            )
        try:
            report = seed(scale=scale)
        except ValueError as error:
            raise CommandError(str(error)) from error
        out = self.stdout.write
        out(self.style.MIGRATE_HEADING(f"演示数据 Wuye demo · 物业公司：{report.company}"))
        for c in report.communities:
            state = "新建 seeded" if c.seeded_now else "已存在，跳过 already there"
            out(
                f"  小区 {_pad(c.name, 8)} 楼栋 {c.buildings:>3} 栋 · 房屋 {c.rooms:>5,} 间 · "
                f"住户 {c.households:>5,} 户 · 人员 {c.people:>5,} 人 · 车辆 {c.vehicles:>4,} 辆 · "
                f"空置 {c.vacant_households:>3} 户  （{state}）"
            )
        total = report.communities
        out(
            f"  合计 total：{len(total)} 个小区 communities · "
            f"{sum(c.rooms for c in total):,} 间房屋 rooms · "
            f"{sum(c.households for c in total):,} 户住户 households · "
            f"{sum(c.people for c in total):,} 名人员 people  （用时 {report.seconds:.1f} 秒）"
        )
        out("")
        out(self.style.MIGRATE_HEADING("演示账号 Demo logins（每个账号在两个小区都有该角色）"))
        out(f"  {_pad('用户名 username', 18)}{_pad('密码 password', 16)}{_pad('角色 role', 32)}姓名")
        for login in report.logins:
            out(
                f"  {_pad(login.username, 18)}{_pad(report.password, 16)}{_pad(login.role_label, 32)}"
                f"{login.display_name}"
            )
        out("")
        out(
            self.style.WARNING(
                f"密码 {report.password} 仅供演示，切勿用于生产环境。"
                f" The password {report.password} is for the demo only; never use these accounts in production."
            )
        )
        if not all(login.created for login in report.logins):
            out(
                "  重复运行不会重置密码；若改过密码，以修改后的为准 (a re-run never resets a changed password)."
            )
        out(
            "  登录 Sign in: http://127.0.0.1:8000/console/  （make demo 启动的网站 the site make demo serves）"
        )
        out("")
        out(self.style.MIGRATE_HEADING("停车 Parking（paysim 模拟道闸 simulated gates）"))
        out(
            "  车辆到出口 A car at the exit: WUYE_DEMO=1 .venv/bin/wuye gate C1-GATE-OUT 京A3K721"
            " （应缴费，打印缴费页地址 owes: prints the pay page）；到入口 at the entry: wuye gate C1-GATE-IN 粤B12345"
        )
        out("  后台 Console: http://127.0.0.1:8000/console/parking/")
        out("")
        out(self.style.MIGRATE_HEADING("门禁 Access control（paysim 模拟门禁设备 simulated doors）"))
        out(
            "  业主在门户“我的 → 访客通行证”生成通行证 An owner makes a visitor pass (我的 → 访客通行证);"
            " 在小区东门刷码 present it at the east gate: WUYE_DEMO=1 .venv/bin/wuye access_sim --community 1"
            " --door GATE-E <通行证 token>"
        )
        if report.owners:
            out("")
            out(
                self.style.MIGRATE_HEADING(
                    "业主门户 Owner portal（手机打开 open on a phone）: http://127.0.0.1:8000/m/"
                )
            )
            for owner in report.owners:
                out(f"  {_pad(owner.phone, 14)}{_pad(owner.name, 8)}{_pad(owner.community, 10)}{owner.room}")
            out(
                "  用手机号登录，验证码打印在运行 make demo 的终端里（演示服务器的日志；后台短信记录只显示 ******）"
                " (log in with a phone; the code is printed in the terminal running make demo, the demo"
                " server's log; the console's SMS outbox shows it masked)."
            )
            out(
                "  微信公众号菜单（paysim 模拟微信授权）As if from the WeChat official account's menu:"
                " http://127.0.0.1:8000/m/wechat/ （首次用手机号登录后即绑定微信，此后自动登录、在微信内支付"
                " first sign-in with a code links WeChat; then WeChat signs you in and you pay by JSAPI）"
            )
