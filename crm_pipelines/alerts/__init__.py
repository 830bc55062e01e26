"""Alerting without Dagster: the Slack webhook client and the failure/resolution bookkeeping."""
