"""The seams a province's deployment turns on by configuration (docs/scale.md): a read replica for the pages
that only read (boards, rankings, exports) and object storage for photos. Off by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from shaobao.core import replica
from shaobao.evaluation import views as evaluation_views
from shaobao.evaluation import views_levels
from shaobao.intake.models import Demand
from shaobao.platform import views as platform_views

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json; import config.settings as s; "
    "print(json.dumps({'dbs': {k: {'name': v.get('NAME'), 'test': v.get('TEST', {})} for k, v in s.DATABASES.items()}, "
    "'routers': s.DATABASE_ROUTERS, 'storage': s.STORAGES['default']}))"
)


def settings_with(tmp_path, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "MEDIA_STORAGE", "S3_"))}
    clean.update(SHAOBAO_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings", **env)
    clean.pop("SHAOBAO_TESTING", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=clean, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_by_default_one_database_and_the_local_disk(tmp_path):
    got = settings_with(tmp_path)
    assert list(got["dbs"]) == ["default"]
    assert got["storage"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_a_replica_and_object_storage_are_configuration(tmp_path):
    got = settings_with(
        tmp_path,
        DATABASE_URL="postgres://app@primary:5432/shaobao",
        DATABASE_REPLICA_URL="postgres://app@replica-1:5432/shaobao",
        MEDIA_STORAGE="s3",
        S3_BUCKET="photos",
        S3_ENDPOINT_URL="http://minio:9000",
    )
    assert got["dbs"]["replica"]["name"] == "shaobao" and got["dbs"]["replica"]["test"] == {
        "MIRROR": "default"
    }
    assert got["routers"] == ["shaobao.core.replica.ReplicaRouter"]
    storage = got["storage"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert (
        storage["OPTIONS"]["bucket_name"] == "photos"
        and storage["OPTIONS"]["endpoint_url"] == "http://minio:9000"
    )
    assert storage["OPTIONS"]["default_acl"] == "private"  # photos are never public objects


def test_reads_go_to_the_replica_only_inside_a_read_only_page(monkeypatch):
    router = replica.ReplicaRouter()
    assert router.db_for_read(Demand) is None  # no replica configured: the default database
    with replica.replica_reads():
        assert router.db_for_read(Demand) is None
    monkeypatch.setattr(replica, "available", lambda: True)
    assert router.db_for_read(Demand) is None  # outside a marked page: the primary (read your writes)
    with replica.replica_reads():
        assert router.db_for_read(Demand) == "replica"
        assert router.db_for_write(Demand) == "default"  # writes never go to a replica
    assert router.db_for_read(Demand) is None
    assert router.allow_migrate("replica", "intake") is False and router.allow_migrate("default", "intake")

    seen = []

    @replica.reads_from_replica
    def page(request):
        seen.append(router.db_for_read(Demand))
        return None

    page(RequestFactory().get("/"))
    page(RequestFactory().post("/"))  # a form's POST reads the primary
    assert seen == ["replica", None]


@pytest.mark.parametrize(
    "view",
    [
        platform_views.board,
        platform_views.map_json,
        platform_views.forces,
        evaluation_views.index,
        evaluation_views.matters,
        evaluation_views.export,
        views_levels.city,
        views_levels.call_ranking,
        views_levels.district_below,
    ],
)
def test_boards_rankings_and_exports_read_from_the_replica(view):
    assert getattr(view, "reads_from_replica", False)
