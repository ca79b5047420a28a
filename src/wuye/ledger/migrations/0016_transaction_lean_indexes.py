# Leaner indexes for the set-based writers (bank result files): nullable user references indexed only
# where set, unique codes by constraints without the pattern-matching twin a unique field gets on
# PostgreSQL, no index of its own for a column another index leads with. No constraint is dropped.

import django.db.models.deletion
from django.conf import settings
import importlib

from django.db import migrations, models

# SQLite rebuilds the table to alter its columns and drops its triggers: put them back (see 0005).
append_only = importlib.import_module("wuye.ledger.migrations.0002_append_only")


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0015_balanced_per_statement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgertransaction",
            name="actor",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="ledgertransaction",
            name="community",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.community",
            ),
        ),
        migrations.AlterField(
            model_name="ledgertransaction",
            name="reference",
            field=models.CharField(blank=True, max_length=80, verbose_name="reference"),
        ),
        migrations.AddIndex(
            model_name="ledgertransaction",
            index=models.Index(fields=["reference"], name="ledgertransaction_reference"),
        ),
        migrations.AddIndex(
            model_name="ledgertransaction",
            index=models.Index(
                condition=models.Q(("actor__isnull", False)), fields=["actor"], name="ledgertransaction_actor"
            ),
        ),
        migrations.RunPython(
            append_only._run({"sqlite": append_only.SQLITE}), append_only._run({"sqlite": append_only.SQLITE_REVERSE})
        ),
    ]
