"""Documents stored before uploads were decoded: typed by their content, moved to generated names.

A file kept under the client's name and typed by its first bytes (an HTML page that starts like a
PNG) is re-checked: a type its content does not prove becomes application/octet-stream, which is
only ever served as a download. See ``wuye.core.uploads.stored_file_recheck``.
"""

from django.db import migrations

from wuye.core.uploads import DOCUMENTS, stored_file_recheck


def recheck(apps, schema_editor):
    Document = apps.get_model("households", "Document")
    for document in list(Document.objects.order_by("pk")):
        stored_file_recheck(document, accept=DOCUMENTS)


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0001_initial"),
    ]

    operations = [migrations.RunPython(recheck, migrations.RunPython.noop)]
