"""The sweep's claim columns move out of the summons table into SummonsClaim (one row per summons and
stage), with the claim timestamps carried over; the sweep's partial indexes no longer name them."""

import django.db.models.deletion
from django.db import migrations, models

# (old summons column, claim stage)
COLUMNS = (
    ("report_in_warned_at", "report_in_warning"),
    ("report_in_overdue_at", "report_in_overdue"),
    ("finish_warned_at", "finish_warning"),
    ("finish_overdue_at", "finish_overdue"),
)


def columns_to_claims(apps, schema_editor):
    """One set-based INSERT ... SELECT per column (the same SQL on SQLite and PostgreSQL)."""
    summons = apps.get_model("whistles", "Summons")._meta.db_table
    claim = apps.get_model("whistles", "SummonsClaim")._meta.db_table
    with schema_editor.connection.cursor() as cur:
        for column, stage in COLUMNS:
            cur.execute(
                f"INSERT INTO {claim} (summons_id, stage, claimed_at) "
                f"SELECT id, %s, {column} FROM {summons} WHERE {column} IS NOT NULL",
                [stage],
            )


def claims_to_columns(apps, schema_editor):
    summons = apps.get_model("whistles", "Summons")._meta.db_table
    claim = apps.get_model("whistles", "SummonsClaim")._meta.db_table
    with schema_editor.connection.cursor() as cur:
        for column, stage in COLUMNS:
            cur.execute(
                f"UPDATE {summons} SET {column} = (SELECT c.claimed_at FROM {claim} c "
                f"WHERE c.summons_id = {summons}.id AND c.stage = %s) "
                f"WHERE id IN (SELECT summons_id FROM {claim} WHERE stage = %s)",
                [stage, stage],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0002_grid_updated_at"),
        ("whistles", "0003_sweep_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SummonsClaim",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "summons", "stage", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "summons",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="claims",
                        to="whistles.summons",
                    ),
                ),
                (
                    "stage",
                    models.CharField(
                        choices=[
                            ("report_in_warning", "report-in warning"),
                            ("report_in_overdue", "report-in overdue"),
                            ("finish_warning", "finish warning"),
                            ("finish_overdue", "finish overdue"),
                        ],
                        max_length=20,
                    ),
                ),
                ("claimed_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "supervision claim",
                "verbose_name_plural": "supervision claims",
            },
        ),
        migrations.RunPython(columns_to_claims, claims_to_columns),
        migrations.RemoveIndex(model_name="summons", name="summons_ri_warn_todo"),
        migrations.RemoveIndex(model_name="summons", name="summons_ri_due_todo"),
        migrations.RemoveIndex(model_name="summons", name="summons_fin_warn_todo"),
        migrations.RemoveIndex(model_name="summons", name="summons_fin_due_todo"),
        migrations.RemoveField(model_name="summons", name="finish_overdue_at"),
        migrations.RemoveField(model_name="summons", name="finish_warned_at"),
        migrations.RemoveField(model_name="summons", name="report_in_overdue_at"),
        migrations.RemoveField(model_name="summons", name="report_in_warned_at"),
        migrations.AlterField(
            model_name="summons",
            name="unit",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="summonses",
                to="org.unit",
            ),
        ),
        migrations.AddIndex(
            model_name="summons",
            index=models.Index(
                condition=models.Q(("state", "summoned")),
                fields=["report_in_warn_at", "id"],
                name="summons_ri_warn_open",
            ),
        ),
        migrations.AddIndex(
            model_name="summons",
            index=models.Index(
                condition=models.Q(("state", "summoned")),
                fields=["report_in_due", "id"],
                name="summons_ri_due_open",
            ),
        ),
        migrations.AddIndex(
            model_name="summons",
            index=models.Index(
                condition=models.Q(("state__in", ["summoned", "reported_in"])),
                fields=["finish_warn_at", "id"],
                name="summons_fin_warn_open",
            ),
        ),
        migrations.AddIndex(
            model_name="summons",
            index=models.Index(
                condition=models.Q(("state__in", ["summoned", "reported_in"])),
                fields=["finish_due", "id"],
                name="summons_fin_due_open",
            ),
        ),
    ]
