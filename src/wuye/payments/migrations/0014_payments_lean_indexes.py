# Leaner indexes for the set-based writers (bank result files): nullable user references indexed only
# where set, unique codes by constraints without the pattern-matching twin a unique field gets on
# PostgreSQL, no index of its own for a column another index leads with. No constraint is dropped.

import django.db.models.deletion
import wuye.payments.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0013_alter_receipt_kind"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="paymentattempt",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="paymentattempt",
            name="out_trade_no",
            field=models.CharField(
                default=wuye.payments.models.new_out_trade_no, max_length=32, verbose_name="order number"
            ),
        ),
        migrations.AlterField(
            model_name="paymentorder",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="receipt",
            name="issued_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="receipt",
            name="token",
            field=models.CharField(default=wuye.payments.models.new_token, max_length=32),
        ),
        migrations.AddIndex(
            model_name="paymentattempt",
            index=models.Index(
                condition=models.Q(("created_by__isnull", False)),
                fields=["created_by"],
                name="paymentattempt_created_by",
            ),
        ),
        migrations.AddIndex(
            model_name="paymentorder",
            index=models.Index(
                condition=models.Q(("created_by__isnull", False)),
                fields=["created_by"],
                name="paymentorder_created_by",
            ),
        ),
        migrations.AddConstraint(
            model_name="paymentattempt",
            constraint=models.UniqueConstraint(
                fields=("out_trade_no",), name="paymentattempt_unique_out_trade_no"
            ),
        ),
        migrations.AddConstraint(
            model_name="receipt",
            constraint=models.UniqueConstraint(fields=("token",), name="receipt_unique_token"),
        ),
    ]
