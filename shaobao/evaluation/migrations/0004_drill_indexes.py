"""Indexes for the drill-down to the demands behind a unit's figure (issue 15: 442–598 ms on PostgreSQL at
10 M demands, target 500 ms; docs/benchmarks.md). Written as SQL in evaluation's own migration because
they serve evaluation's reads on intake's and whistles' tables (the same SQL on PostgreSQL and SQLite).

- summons_lead_unit_whistle: the whistles a unit leads (not withdrawn), read from the index alone instead
  of every summons row of the unit;
- demand_unit_called_back / demand_id_called_back: demands called back in a period, by the unit they
  were assigned to or by id (the whistled ones), without reading the rows outside the period. Partial
  on called_back_at: a new demand is not in them, so intake pays nothing; a callback updates them.
"""

from django.db import migrations

INDEXES = {
    "summons_lead_unit_whistle": "whistles_summons (unit_id, whistle_id) "
    "WHERE role = 'lead' AND NOT (state = 'withdrawn')",
    "demand_unit_called_back": "intake_demand (assigned_unit_id, called_back_at) "
    "WHERE called_back_at IS NOT NULL",
    "demand_id_called_back": "intake_demand (id, called_back_at) WHERE called_back_at IS NOT NULL",
}


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0003_daily_coarse_histograms"),
        ("intake", "0001_initial"),
        ("whistles", "0005_sweep_indexes_claim_fk"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {definition}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, definition in INDEXES.items()
    ]
