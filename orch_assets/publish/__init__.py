"""Versioned, read-only snapshots of the marts, swapped in atomically for the scorecard."""
