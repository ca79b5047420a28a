# Leaner indexes for the set-based writers (bank result files): nullable user references indexed only
# where set, unique codes by constraints without the pattern-matching twin a unique field gets on
# PostgreSQL, no index of its own for a column another index leads with. No constraint is dropped.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_jobs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditlog",
            name="action",
            field=models.CharField(max_length=80, verbose_name="action"),
        ),
        migrations.AlterField(
            model_name="auditlog",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="auditlog",
            index=models.Index(fields=["action"], name="audit_action"),
        ),
        migrations.AddIndex(
            model_name="auditlog",
            index=models.Index(
                condition=models.Q(("actor__isnull", False)), fields=["actor"], name="audit_actor"
            ),
        ),
    ]
