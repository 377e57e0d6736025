"""Feed ingestion: daily-partitioned assets, their checks, the landing sensor and schedule."""
