"""Tenants are partitions: a run, a check and a schedule can target one tenant."""

import dagster as dg


def tenant_partitions(tenant_ids: list[str]) -> dg.StaticPartitionsDefinition:
    return dg.StaticPartitionsDefinition(tenant_ids)
