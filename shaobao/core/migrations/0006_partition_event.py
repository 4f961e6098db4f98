"""core_event becomes partitioned by month on `at` (PostgreSQL only; nothing on SQLite): see
shaobao/core/partitions.py and docs/scale.md. The model is unchanged (Django keeps `id` as its key)."""

from django.db import migrations

from shaobao.core import partitions


def forward(apps, schema_editor):
    if partitions.enabled(schema_editor.connection):
        for spec in partitions.PARTITIONED:
            partitions.partition_table(schema_editor, spec)


def backward(apps, schema_editor):
    if partitions.enabled(schema_editor.connection):
        for spec in partitions.PARTITIONED:
            partitions.unpartition_table(schema_editor, spec)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_notification_message_notification_params")]

    operations = [migrations.RunPython(forward, backward)]
