"""The member search's indexes, and the existing members' `phone_tail` and roll-ups.

PostgreSQL only (nothing on SQLite, whose lists are a tenth of the size): the phone prefixes are LIKE 'x%'
searches, served by varchar_pattern_ops b-trees (the database's collation is not "C"); the words are
UPPER(column) LIKE '%x%' searches (Django's icontains), served by pg_trgm GIN indexes on the same expressions
(a term of three characters or more: Chinese words too, pg_trgm hashes them).
"""

from django.db import migrations

PG_INDEXES = [
    ("checkin_member_tail_like", "phone_tail varchar_pattern_ops"),
    ("checkin_member_phone_like", "phone varchar_pattern_ops"),
]
TRIGRAM_INDEXES = [
    ("checkin_member_name_trgm", "checkin_membercheckin", "name"),
    ("checkin_member_skills_trgm", "checkin_membercheckin", "skills"),
    ("checkin_member_resources_trgm", "checkin_membercheckin", "resources"),
    ("checkin_org_name_trgm", "checkin_organisationcheckin", "name"),
    ("checkin_org_skills_trgm", "checkin_organisationcheckin", "skills"),
    ("checkin_org_resources_trgm", "checkin_organisationcheckin", "resources"),
]


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE checkin_membercheckin SET phone_tail = reverse(regexp_replace(phone, '[^0-9]', '', 'g'))"
        )
    else:
        Member = apps.get_model("checkin", "MemberCheckin")
        for pk, phone in Member.objects.values_list("pk", "phone").iterator():
            tail = "".join(ch for ch in phone if ch.isdigit())[::-1]
            Member.objects.filter(pk=pk).update(phone_tail=tail)
    from shaobao.checkin.rollup import rebuild

    rebuild()


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in PG_INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON checkin_membercheckin ({column})")
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, *_ in PG_INDEXES + TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("checkin", "0002_rollups_and_phone_tail")]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
