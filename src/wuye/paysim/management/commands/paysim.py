"""`wuye paysim [--host 127.0.0.1] [--port 8001]`: serve the WeChat Pay and Alipay simulator."""

from django.core.management.base import BaseCommand

from wuye.paysim.server import PaySim


class Command(BaseCommand):
    help = "Serve paysim, the local WeChat Pay v3 and Alipay simulator, until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--quiet", action="store_true", help="do not log every request")

    def handle(self, *args, host, port, quiet, **options):
        from wuye.paysim.seed import orders_file, orders_load

        sim = PaySim(host=host, port=port, verbose=not quiet)
        loaded = orders_load(sim)
        if loaded:
            self.stdout.write(f"paysim: {loaded} orders paid earlier, from {orders_file()}")
        self.stdout.write(
            f"paysim on http://{host}:{port}/ (WeChat Pay: /v3/…, Alipay: /gateway.do); Ctrl-C stops"
        )
        try:
            sim.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("paysim stopped")
