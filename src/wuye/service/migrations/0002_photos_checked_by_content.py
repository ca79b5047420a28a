"""Photos stored before uploads were decoded: typed by their content, moved to generated names.

A file kept under the client's name and typed by its first bytes (an HTML page that starts like a
PNG) is re-checked: a type its content does not prove becomes application/octet-stream, which is
only ever served as a download. See ``wuye.core.uploads.stored_file_recheck``.
"""

from django.db import migrations

from wuye.core.uploads import IMAGES, stored_file_recheck


def recheck(apps, schema_editor):
    RequestPhoto = apps.get_model("service", "RequestPhoto")
    for photo in list(RequestPhoto.objects.order_by("pk")):
        stored_file_recheck(photo, accept=IMAGES)


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0001_initial"),
    ]

    operations = [migrations.RunPython(recheck, migrations.RunPython.noop)]
