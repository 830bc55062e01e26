"""Upstream changes to the demo booking database (what the app's users or jobs would do), for tests
and benchmarks. Every statement is limited to the tenant's companies."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa


def _ids(conn: sa.Connection, sql: str, company_ids: list[int], count: int) -> list:
    query = sa.text(sql + " LIMIT :n").bindparams(sa.bindparam("ids", expanding=True))
    return [tuple(r) for r in conn.execute(query, {"ids": company_ids, "n": count})]


def _in(sql: str) -> sa.TextClause:
    return sa.text(sql).bindparams(sa.bindparam("ids", expanding=True))


def touch(conn: sa.Connection, n: dict[str, str], object_name: str, company_ids: list[int], count: int,
          now: dt.datetime) -> list[int]:
    if object_name == "services":
        rows = _ids(conn, f"SELECT service_id, sync_status FROM {n['services']} WHERE company_id IN :ids "
                          "ORDER BY service_id", company_ids, count)
        stamp = now.isoformat(timespec="seconds")
        for service_id, status in rows:
            new = ("pending", None) if status == "synced" else ("synced", stamp)
            conn.execute(sa.text(f"UPDATE {n['services']} SET sync_status = :s, last_calcom_sync = :t, "
                                 "sync_error = NULL WHERE service_id = :id"), {"s": new[0], "t": new[1], "id": service_id})
        return [r[0] for r in rows]
    if object_name == "mappings":
        rows = _ids(conn, f"SELECT m.mapping_id, c.calcom_team_id FROM {n['mappings']} m JOIN {n['companies']} c "
                          "ON c.company_id = m.company_id WHERE m.company_id IN :ids AND (m.calcom_team_id IS NULL "
                          "OR m.calcom_team_id <> c.calcom_team_id) ORDER BY m.mapping_id", company_ids, count)
        for mapping_id, team_id in rows:
            conn.execute(sa.text(f"UPDATE {n['mappings']} SET calcom_team_id = :t WHERE mapping_id = :id"),
                         {"t": team_id, "id": mapping_id})
        return [r[0] for r in rows]
    rows = _ids(conn, f"SELECT company_id FROM {n['companies']} WHERE company_id IN :ids ORDER BY company_id",
                company_ids, count)
    for (company_id,) in rows:
        conn.execute(sa.text(f"UPDATE {n['companies']} SET name = name || ' (geändert)' WHERE company_id = :id"),
                     {"id": company_id})
    return [r[0] for r in rows]


def delete(conn: sa.Connection, n: dict[str, str], object_name: str, company_ids: list[int],
           count: int) -> list[int]:
    key = {"companies": "company_id", "services": "service_id", "mappings": "mapping_id"}[object_name]
    ids = [r[0] for r in _ids(conn, f"SELECT {key} FROM {n[object_name]} WHERE company_id IN :ids "
                                    f"ORDER BY {key}", company_ids, count)]
    if not ids:
        return []
    if object_name in ("companies", "services"):
        conn.execute(_in(f"DELETE FROM {n['mappings']} WHERE {key} IN :ids"), {"ids": ids})
    if object_name == "companies":
        conn.execute(_in(f"DELETE FROM {n['services']} WHERE company_id IN :ids"), {"ids": ids})
    conn.execute(_in(f"DELETE FROM {n[object_name]} WHERE {key} IN :ids"), {"ids": ids})
    return ids


def grow(conn: sa.Connection, n: dict[str, str], object_name: str, company_ids: list[int],
         count: int) -> list[int]:
    if object_name == "companies":
        raise ValueError("a tenant's companies are fixed by its company_ids option; grow services or mappings")
    key = "service_id" if object_name == "services" else "mapping_id"
    next_id = int(conn.execute(sa.text(f"SELECT COALESCE(MAX({key}), 0) FROM {n[object_name]}")).scalar_one()) + 1
    new_ids = list(range(next_id, next_id + count))
    if object_name == "services":
        for i, service_id in enumerate(new_ids):
            conn.execute(sa.text(f"INSERT INTO {n['services']} (service_id, company_id, name, calcom_event_type_id, "
                                 "sync_status) VALUES (:id, :c, :name, NULL, 'never')"),
                         {"id": service_id, "c": company_ids[i % len(company_ids)], "name": f"Zusatzleistung {service_id}"})
        return new_ids
    rows = _ids(conn, f"SELECT company_id, service_id, calcom_event_type_id, calcom_team_id FROM {n['mappings']} "
                      "WHERE company_id IN :ids ORDER BY mapping_id", company_ids, max(count, 1))
    if not rows:
        return []
    for i, mapping_id in enumerate(new_ids):
        company_id, service_id, event_type_id, team_id = rows[i % len(rows)]
        conn.execute(sa.text(f"INSERT INTO {n['mappings']} (mapping_id, company_id, service_id, calcom_event_type_id, "
                             "calcom_team_id) VALUES (:id, :c, :s, :e, :t)"),
                     {"id": mapping_id, "c": company_id, "s": service_id, "e": event_type_id, "t": team_id})
    return new_ids
