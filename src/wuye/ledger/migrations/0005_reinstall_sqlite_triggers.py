"""SQLite rebuilds a table to alter a column, and the rebuild drops its triggers: put them back.

Any later migration that alters ledger_posting or ledger_ledgertransaction on SQLite must end with
the same step (tests/ledger/test_ledger.py fails otherwise).
"""

import importlib

from django.db import migrations

append_only = importlib.import_module("wuye.ledger.migrations.0002_append_only")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_alter_posting_community")]

    operations = [
        migrations.RunPython(
            append_only._run({"sqlite": append_only.SQLITE}), append_only._run({"sqlite": append_only.SQLITE_REVERSE})
        )
    ]
