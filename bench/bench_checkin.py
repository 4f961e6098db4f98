"""双报到 at Yunnan's scale: the member list (and the API's) over 500,000 checked-in members with a million
service records, per page, on PostgreSQL (issue 11: under 300 ms per page).

`run(args)` starts one worker process on PostgreSQL: BENCH_CHECKIN_PG_URL (default
postgres://postgres@127.0.0.1:5432/shaobao_bench_checkin, dropped and re-created) when PostgreSQL answers
on it; without PostgreSQL, a SQLite file under /tmp with a tenth of the members. The worker migrates, loads
the demo district without its month (`load_demo --no-month`: 323 communities, 300 organisations), adds
BENCH_CHECKIN_MEMBERS members (default 500,000 × --scale) spread over every community and two service
records per member in the last 30 days (nine in ten confirmed; one INSERT … SELECT generate_series each on
PostgreSQL), ANALYZEs, then renders each page REPEAT times with Django's test client (middleware and
templates included; no network) and reports the median and p95 in ms and the SQL queries per page.
Run one worker by hand: `python bench/bench_checkin.py --worker --members 500000`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script (the worker) too
from bench.common import fresh_database, pg_answers  # noqa: E402

PG_URL = os.environ.get("BENCH_CHECKIN_PG_URL", "postgres://postgres@127.0.0.1:5432/shaobao_bench_checkin")
SQLITE_URL = "sqlite:////tmp/shaobao_bench_checkin.sqlite3"
REPEAT = 15
TARGET_MS = 300


def run(args) -> dict:
    scale = getattr(args, "scale", 1.0) or 1.0
    n = int(os.environ.get("BENCH_CHECKIN_MEMBERS", 500_000 * scale))
    if pg_answers():
        return {"members": n, "repeat": REPEAT, "postgresql": _worker_process(PG_URL, n)}
    return {"members": n // 10, "repeat": REPEAT, "sqlite": _worker_process(SQLITE_URL, n // 10)}


def _worker_process(url: str, members: int) -> dict:
    env = dict(os.environ, DATABASE_URL=url, SHAOBAO_VAR_DIR="/tmp/shaobao_bench_checkin_var", DEBUG="0")
    env.pop("SHAOBAO_TESTING", None)
    cmd = [sys.executable, str(Path(__file__)), "--worker", "--members", str(members)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------- worker


def _measure(client, url: str, repeat: int = REPEAT) -> dict:
    from django.db import connection

    times: list[float] = []
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(int(len(times) * 0.95) - 1, 0)], 1),
        "queries": len(queries),
    }


def _fill_postgresql(n: int) -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT d.id, d.parent_id FROM org_division d WHERE d.level = 'community' ORDER BY d.code")
        rows = c.fetchall()
        communities = [r[0] for r in rows]
        streets = [r[1] for r in rows]
        c.execute("SELECT id FROM checkin_organisationcheckin ORDER BY id")
        orgs = [r[0] for r in c.fetchall()]
        c.execute(
            """
            INSERT INTO checkin_membercheckin (community_id, street_id, kind, name, phone, phone_tail,
                organisation_id, employer, user_id, skills, resources, checked_in_on, is_active, created_by_id,
                created_at)
            SELECT (%s::int[])[1 + i %% %s], (%s::int[])[1 + i %% %s],
                   CASE WHEN i %% 12 = 0 THEN 'delivery_rider' ELSE 'party_member' END,
                   '成员' || i, '101' || lpad(i::text, 8, '0'), reverse('101' || lpad(i::text, 8, '0')),
                   CASE WHEN i %% 12 = 0 THEN NULL ELSE (%s::int[])[1 + i %% %s] END,
                   '', NULL, '理发', '', current_date - (i %% 700), TRUE, NULL, now()
            FROM generate_series(1, %s) AS i
            """,
            [communities, len(communities), streets, len(streets), orgs, len(orgs), n],
        )
        c.execute(
            """
            INSERT INTO checkin_servicerecord (member_id, organisation_id, community_id, street_id, need_id, what,
                hours, served_on, state, confirm_method, confirmed_by_id, confirmed_at, note, recorded_by_id,
                recorded_at)
            SELECT m.id, m.organisation_id, m.community_id, m.street_id, NULL, '义务服务', 1.5,
                   current_date - ((m.id * 7 + g) % 30)::int,
                   CASE WHEN (m.id + g) % 10 = 0 THEN 'recorded' ELSE 'confirmed' END,
                   CASE WHEN (m.id + g) % 10 = 0 THEN '' ELSE 'staff' END, NULL, NULL, '', NULL, now()
            FROM checkin_membercheckin m CROSS JOIN generate_series(1, 2) AS g
            WHERE m.phone LIKE '101%'
            """
        )
        c.execute("ANALYZE")


def _fill_bulk(n: int) -> None:
    import datetime as dt
    from decimal import Decimal

    from shaobao.checkin.models import MemberCheckin, OrganisationCheckin, ServiceRecord
    from shaobao.org.models import Division

    communities = list(Division.objects.filter(level="community").order_by("code"))
    orgs = list(OrganisationCheckin.objects.values_list("pk", flat=True))
    today = dt.date.today()
    batch = 5_000
    for start in range(0, n, batch):
        members = MemberCheckin.objects.bulk_create(
            [
                MemberCheckin(
                    community=communities[i % len(communities)],
                    street_id=communities[i % len(communities)].parent_id,
                    name=f"成员{i}",
                    phone=f"101{i:08d}",
                    phone_tail=MemberCheckin.tail_of(f"101{i:08d}"),
                    organisation_id=orgs[i % len(orgs)],
                    checked_in_on=today - dt.timedelta(days=i % 700),
                )
                for i in range(start, min(start + batch, n))
            ]
        )
        ServiceRecord.objects.bulk_create(
            [
                ServiceRecord(
                    member=m,
                    organisation_id=m.organisation_id,
                    community_id=m.community_id,
                    street_id=m.street_id,
                    what="义务服务",
                    hours=Decimal("1.5"),
                    served_on=today - dt.timedelta(days=(m.pk * 7 + g) % 30),
                    state="recorded" if (m.pk + g) % 10 == 0 else "confirmed",
                )
                for m in members
                for g in (1, 2)
            ]
        )


def _worker(n: int) -> dict:
    import django

    fresh_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("load_demo", "--no-month", verbosity=0)
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from shaobao.checkin.models import MemberCheckin, ServiceRecord
    from shaobao.demo.users import DEMO_COMMUNITY
    from shaobao.org.models import User

    started = time.perf_counter()
    if connection.vendor == "postgresql":
        _fill_postgresql(n)
    else:
        _fill_bulk(n)
    from shaobao.checkin import rollup

    rollup.rebuild()  # the reports' roll-ups of the generated services (the actions keep them otherwise)
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            # What autovacuum does to a live database: statistics, and the visibility map (index-only scans).
            c.execute("VACUUM ANALYZE")
    figures: dict = {
        "fill_seconds": round(time.perf_counter() - started, 1),
        "members_total": MemberCheckin.objects.count(),
        "service_records_total": ServiceRecord.objects.count(),
    }
    deep = max(MemberCheckin.objects.count() // 25 // 2, 1)
    pages = {
        "coordinator": {
            "member list, page 1 (whole district)": "/checkin/",
            f"member list, page {deep} (whole district)": f"/checkin/?page={deep}",
            "member list, one community": f"/checkin/?community={DEMO_COMMUNITY}",
            "member list, new employment groups": "/checkin/?kind=new_employment",
            "member list, search by phone (last digits)": "/checkin/?q=12345",
            "member list, search by a whole phone number": "/checkin/?q=10100012345",
            "member list, search by a word (skill)": "/checkin/?q=理发",
            "member list, search by a rare word (4 characters)": "/checkin/?q=钢琴调音",
            "member list, search by a rare word (2 characters)": "/checkin/?q=钢琴",
            "member list, search by a word of every name": "/checkin/?q=成员",
            "API member list, page 1": "/api/v1/checkins/members?page_size=25",
            "API service records, page 1": "/api/v1/service-records?page_size=25",
            "reports (30 days)": "/checkin/reports/",
        },
        "dispatcher": {
            "member list, page 1 (one street)": "/checkin/",
            "needs board": "/checkin/needs/",
        },
    }
    for username, urls in pages.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        for name, url in urls.items():
            # The reports aggregate the whole month (a million records here): measured a few times only.
            repeat = 3 if "reports" in name else REPEAT
            try:
                figures[f"{username}: {name}"] = _measure(client, url, repeat)
            except OSError:  # a transient file-system error while loading a template: measure again once
                figures[f"{username}: {name}"] = _measure(client, url, repeat)
    lists = [v["median_ms"] for k, v in figures.items() if isinstance(v, dict) and "list" in k]
    figures["slowest_list_median_ms"] = max(lists)
    figures["target_ms"] = TARGET_MS
    return figures


if __name__ == "__main__":
    if "--worker" in sys.argv:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        n = int(sys.argv[sys.argv.index("--members") + 1]) if "--members" in sys.argv else 500_000
        print(json.dumps(_worker(n), ensure_ascii=False))
    else:
        print(json.dumps(run(None), indent=2, ensure_ascii=False))
