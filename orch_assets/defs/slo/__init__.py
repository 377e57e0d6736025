"""SLOs, burn-rate alerts, rollback triggers and rollout impact, evaluated from the warehouse."""
