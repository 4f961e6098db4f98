from django.db import connection


def test_healthz_reports_database_vendor_and_version(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == connection.vendor
    assert body["version"]
