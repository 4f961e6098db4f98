"""A cursor for the hottest statements (API intake: token, street, placement, the demand's insert).

On PostgreSQL with prepared statements enabled (settings: `PG_PREPARED_STATEMENTS`, on by default) it binds
parameters on the server, so psycopg prepares each statement once per connection and PostgreSQL keeps its
plan: planning cost more database CPU than running these index look-ups (0.4 of 0.5 ms for the token).
Elsewhere (SQLite, prepared statements off behind a transaction-mode pooler) it is Django's usual cursor.
Statements must then be valid with server-side parameters: values only, and casts where PostgreSQL cannot
infer a parameter's type (e.g. in the select list of INSERT ... SELECT).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections


def hot_cursor():
    """A Django cursor (logged, errors wrapped as Django's) for statements run on every request."""
    conn = connections[DEFAULT_DB_ALIAS]  # once: each attribute of the `connection` proxy costs a look-up
    if not _server_binding(conn) or conn.queries_logged:
        # Queries being logged (DEBUG, tests capturing them): Django's own cursor, whose log shows the SQL
        # with its values (a server-binding cursor's log entry would be None).
        return conn.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    conn.ensure_connection()
    with conn.wrap_database_errors:
        return conn._prepare_cursor(ServerBindingCursor(conn.connection))


def uses_server_binding() -> bool:
    """Do `hot_cursor`s bind parameters on the server (prepared statements enabled on PostgreSQL)?"""
    return _server_binding(connections[DEFAULT_DB_ALIAS])


def _server_binding(conn) -> bool:
    return conn.vendor == "postgresql" and conn.settings_dict["OPTIONS"].get("prepare_threshold") is not None
