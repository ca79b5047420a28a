# Leaner indexes for the set-based writers (bank result files): nullable user references indexed only
# where set, unique codes by constraints without the pattern-matching twin a unique field gets on
# PostgreSQL, no index of its own for a column another index leads with. No constraint is dropped.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("debit", "0002_drop_covered_indexes"),
        ("payments", "0013_alter_receipt_kind"),
    ]

    operations = [
        migrations.AlterField(
            model_name="debitline",
            name="reference",
            field=models.CharField(max_length=35, verbose_name="reference"),
        ),
        migrations.AddConstraint(
            model_name="debitline",
            constraint=models.UniqueConstraint(fields=("reference",), name="debitline_unique_reference"),
        ),
    ]
