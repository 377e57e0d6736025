"""The warehouse file as the SLO domain uses it: read-only reads, short writes, and locks.

DuckDB lets one process write a database file at a time, and dbt holds the write lock for the
whole of a build. A reader that finds the file locked says so with `WarehouseLockedError`
rather than a bare IO error, so a sensor can skip its tick; a writer waits a bounded time for
the lock before giving up the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

LOCK_WAIT_SECONDS = 120.0
LOCK_POLL_SECONDS = 2.0


class WarehouseLockedError(RuntimeError):
    """The warehouse file is locked by another process (a running dbt build, say)."""


class WarehouseMissingError(RuntimeError):
    """The warehouse file, or a table the SLO domain reads, does not exist yet."""


@dataclass(frozen=True)
class Table:
    """A table the SLO domain writes into schema main: its DDL and how a frame fills it."""

    name: str
    create_sql: str
    insert_sql: str


def _is_lock_error(error: duckdb.Error) -> bool:
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    if read_only and not path.exists():
        raise WarehouseMissingError(
            f"{path}: no warehouse file yet. Build the dbt models first (make pipeline)."
        )
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        if _is_lock_error(error):
            raise WarehouseLockedError(
                f"{path} is locked by another process (a dbt build holds it while it runs): {error}"
            ) from None
        raise
    con.execute("set TimeZone = 'UTC'")
    return con


@contextmanager
def read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection in UTC; raises `WarehouseLockedError` at once if it is locked."""
    con = _connect(path, read_only=True)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def writable(
    path: Path,
    wait_seconds: float = LOCK_WAIT_SECONDS,
    poll_seconds: float = LOCK_POLL_SECONDS,
    on_wait: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection in UTC, waiting up to `wait_seconds` for another writer to finish.

    Raises:
        WarehouseLockedError: The lock was still held after the wait.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = _connect(path, read_only=False)
            break
        except WarehouseLockedError as error:
            if time.monotonic() + poll_seconds > deadline:
                raise WarehouseLockedError(
                    f"{error} Waited {wait_seconds:g} s; run again once the build has finished."
                ) from None
            if on_wait is not None:
                on_wait(f"{path} is locked; retrying in {poll_seconds:g} s")
            sleep(poll_seconds)
    try:
        yield con
    finally:
        con.close()


def fetch_frame(
    con: duckdb.DuckDBPyConnection, sql: str, table: str, parameters: list | None = None
) -> pd.DataFrame:
    """Run a query that reads `table` and return a frame; a missing table says what to build."""
    try:
        return con.execute(sql, parameters or []).df()
    except duckdb.CatalogException as error:
        raise WarehouseMissingError(
            f"the warehouse has no table {table} yet ({error}). Build the dbt models of the "
            "slo folder (the daily_marts assets) first."
        ) from None


def replace_tables(con: duckdb.DuckDBPyConnection, frames: dict[Table, pd.DataFrame]) -> None:
    """Replace each table with its frame in one transaction, so readers see all or none."""
    con.execute("begin transaction")
    try:
        for table, frame in frames.items():
            con.execute(table.create_sql)
            con.register("frame", frame)
            con.execute(table.insert_sql)
            con.unregister("frame")
        con.execute("commit")
    except BaseException:
        # An aborted transaction refuses everything until it is rolled back.
        con.execute("rollback")
        con.unregister("frame")
        raise
