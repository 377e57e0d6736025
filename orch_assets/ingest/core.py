"""Ingest one day of one feed: read the landing files, judge every row, write lake and quarantine.

The whole partition is judged in DuckDB in one pass per step. Every row read ends in exactly
one place: the lake (accepted) or the quarantine (with the file, line, rule, column and raw
value), and `rows_read == rows_accepted + rows_quarantined` is asserted before anything is
written. A file that cannot be read at all raises `LandingFileError` naming the file, the
position and the fix, and the partition is left as it was.

Outputs replace the partition: each is written to a temporary file beside its target and moved
into place with `os.replace`, so a reader sees the old partition or the new one, never a mix,
and re-running a day never double counts it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orch_assets.contracts import FEEDS, LAKE_TYPES, REFERENCE_TABLES, Feed
from orch_assets.ingest.validation import quote, rule_checks, typed_select

# Extensions a landing file may have, and the reader each one takes.
FORMAT_BY_SUFFIX = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".jsonl.gz": "jsonl",
    ".parquet": "parquet",
}
# Clocks upstream run ahead of ours by a little; beyond this a timestamp is in the future.
FUTURE_SKEW = dt.timedelta(minutes=10)
# How far back an order may have been created for a later row (an event, a shipment) to be
# checked against it: deliveries, claims and retries arrive weeks after the order.
ORDER_LOOKBACK_DAYS = 60


class LandingFileError(ValueError):
    """A landing file that cannot be read at all; the message names the file and the fix."""


@dataclass
class PartitionResult:
    """What one ingestion of one feed and day read, accepted and quarantined."""

    feed: str
    partition: str
    files: list[str]
    bytes_read: int
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    quarantined_by_rule: dict[str, int]
    extra_columns: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_accepted + self.rows_quarantined

    @property
    def quarantine_rate(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0


@dataclass(frozen=True)
class LakePaths:
    """Where the landing, lake and quarantine folders are."""

    landing: Path
    lake: Path
    quarantine: Path

    def landing_partition(self, feed: str, day: dt.date) -> Path:
        return self.landing / feed / f"date={day.isoformat()}"

    def lake_file(self, feed: str, day: dt.date) -> Path:
        return self.lake / feed / f"date={day.isoformat()}" / "part.parquet"

    def quarantine_file(self, feed: str, day: dt.date) -> Path:
        return self.quarantine / feed / f"date={day.isoformat()}" / "part.parquet"


def landing_format(path: Path) -> str | None:
    name = path.name.lower()
    for suffix, fmt in sorted(FORMAT_BY_SUFFIX.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix):
            return fmt
    return None


def landing_files(paths: LakePaths, feed: str, day: dt.date) -> list[Path]:
    """The partition's landing files, hidden and temporary files aside, in name order."""
    folder = paths.landing_partition(feed, day)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "_")))


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message


class _Reader:
    """Loads landing files into one text relation with `_file`, `_line` and `_raw` columns."""

    def __init__(self, con: duckdb.DuckDBPyConnection, feed: Feed):
        self.con = con
        self.feed = feed
        self.parts: list[str] = []
        self.rejects: list[str] = []
        self.extra_columns: dict[str, list[str]] = {}

    def add(self, path: Path) -> None:
        fmt = landing_format(path)
        if fmt is None:
            accepted = ", ".join(sorted(FORMAT_BY_SUFFIX))
            raise LandingFileError(
                f"{path}: file type not accepted for feed {self.feed.name}. "
                f"Rename or convert it to one of {accepted}."
            )
        if path.stat().st_size == 0:
            raise LandingFileError(
                f"{path}: file is empty (0 bytes). If the day had no rows, send a file with "
                "only the header row (CSV) or no file at all; otherwise re-send the export."
            )
        index = len(self.parts)
        view = f"raw_{index}"
        if fmt == "csv":
            self._csv(path, view, index)
        elif fmt == "jsonl":
            self._jsonl(path, view)
        else:
            self._parquet(path, view)
        self.parts.append(view)

    def _columns_or_fail(self, path: Path, found: list[str], position: str) -> list[str]:
        missing = [c.name for c in self.feed.columns if c.required and c.name not in found]
        if missing:
            raise LandingFileError(
                f"{path}: {position} lacks required column(s) {', '.join(missing)} of feed "
                f"{self.feed.name}. Add them; docs/feeds.md lists every column."
            )
        extra = [name for name in found if name not in self.feed.column_names]
        if extra:
            self.extra_columns[str(path)] = extra
        return found

    def _select_contract(self, found: list[str], value_of) -> str:
        parts = []
        for column in self.feed.columns:
            if column.name in found:
                parts.append(f"{value_of(column.name)} as {quote(column.name)}")
            else:
                parts.append(f"null::varchar as {quote(column.name)}")
        return ", ".join(parts)

    def _csv(self, path: Path, view: str, index: int) -> None:
        target = _sql_string(str(path))
        options = (
            "header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"', "
            "strict_mode = true, hive_partitioning = false, store_rejects = true, "
            f"rejects_table = 'rejects_{index}', rejects_scan = 'scans_{index}'"
        )
        try:
            self.con.execute(
                f"create temp table csv_{index} as "
                f"select *, row_number() over () as _ordinal from read_csv({target}, {options})"
            )
        except duckdb.Error as error:
            raise LandingFileError(_csv_problem(path, str(error))) from None
        # Two rejects are faults of the file, not of a row. Bytes that are not UTF-8 cannot be
        # kept as raw text faithfully. A quote that is never closed makes the reader take the
        # rest of the file as one value, so every later row would vanish into that one reject.
        unreadable = self.con.execute(
            f"select line, error_type::varchar from rejects_{index} "
            "where error_type::varchar = 'INVALID ENCODING' "
            "or error_message ilike '%unterminated quote%' order by line limit 1"
        ).fetchone()
        if unreadable is not None:
            line, error_type = unreadable
            if error_type == "INVALID ENCODING":
                raise LandingFileError(_csv_problem(path, f"invalid unicode on line {line}"))
            raise LandingFileError(
                f"{path}: the quote opened on line {line} is never closed, so the rest of the "
                "file reads as one value. Close the quote, and double any quote inside a quoted "
                'field ("").'
            )
        found = [
            row[0]
            for row in self.con.execute(
                "select column_name from duckdb_columns() where table_name = ? "
                "and column_name <> '_ordinal' order by column_index",
                [f"csv_{index}"],
            ).fetchall()
        ]
        self._columns_or_fail(path, found, "header row")
        # A rejected line is missing from the ordinals; shift each accepted row past the
        # rejected lines before it (line 1 is the header).
        self.con.execute(
            f"create temp table rejected_lines_{index} as "
            f"select line, row_number() over (order by line) - 1 as earlier "
            f"from (select distinct line from rejects_{index})"
        )
        raw_json = (
            "to_json({"
            + ", ".join(f"{_sql_string(name)}: {quote(name)}" for name in found)
            + "})::varchar"
        )
        self.con.execute(
            f"create temp view {view} as select "
            f"{self._select_contract(found, quote)}, {target} as _file, "
            f"_ordinal + 1 + (select count(*) from rejected_lines_{index} r "
            f"where r.line - r.earlier <= _ordinal + 1) as _line, "
            f"{raw_json} as _raw, null::varchar as _reject from csv_{index}"
        )
        self.rejects.append(
            f"select {', '.join(f'null::varchar as {quote(c)}' for c in self.feed.column_names)}, "
            f"{target} as _file, line::bigint as _line, csv_line as _raw, "
            f"lower(replace(error_type::varchar, ' ', '_')) as _reject "
            f"from (select distinct on (line) * from rejects_{index} order by line, column_idx)"
        )

    def _jsonl(self, path: Path, view: str) -> None:
        target = _sql_string(str(path))
        # Each line is read as one text value so that line numbers are exact and a broken
        # line is quarantined instead of failing the file.
        reader = (
            f"read_csv({target}, columns = {{'raw': 'VARCHAR'}}, header = false, "
            "delim = E'\\x1f', quote = '', escape = '', auto_detect = false, "
            "strict_mode = false, hive_partitioning = false)"
        )
        try:
            self.con.execute(
                f"create temp table lines_{view} as "
                f"select raw, row_number() over () as _line from {reader}"
            )
        except duckdb.Error as error:
            raise LandingFileError(_text_problem(path, str(error))) from None
        keys = self.con.execute(
            f"select distinct unnest(json_keys(raw)) from lines_{view} "
            "where json_valid(raw) and json_type(raw) = 'OBJECT' order by 1"
        ).fetchall()
        extra = [key for (key,) in keys if key not in self.feed.column_names]
        if extra:
            self.extra_columns[str(path)] = extra
        columns = ", ".join(
            f"case when is_object then json_extract_string(raw, {_sql_string('$.' + c)}) end "
            f"as {quote(c)}"
            for c in self.feed.column_names
        )
        # `and` evaluates both sides, and json_type raises on invalid JSON (a truncated line);
        # a case only calls it for the lines json_valid passed.
        self.con.execute(
            f"create temp view {view} as select {columns}, {target} as _file, _line, "
            f"raw as _raw, case when not is_object then 'malformed_json' end as _reject "
            f"from (select *, coalesce(case when json_valid(raw) then "
            f"json_type(raw) = 'OBJECT' end, false) "
            f"as is_object from lines_{view} where trim(coalesce(raw, '')) <> '')"
        )

    def _parquet(self, path: Path, view: str) -> None:
        target = _sql_string(str(path))
        try:
            found = [
                row[0]
                for row in self.con.execute(
                    f"select name from parquet_schema({target}) where name <> 'schema' "
                    "and num_children is null"
                ).fetchall()
            ]
        except duckdb.Error as error:
            raise LandingFileError(
                f"{path}: not a readable Parquet file ({_first_line(str(error))}). "
                "Re-export it as Parquet, or give it the extension of its real format."
            ) from None
        self._columns_or_fail(path, found, "schema")
        raw_json = (
            "to_json({"
            + ", ".join(f"{_sql_string(name)}: {quote(name)}" for name in found)
            + "})::varchar"
        )
        self.con.execute(
            f"create temp view {view} as select "
            f"{self._select_contract(found, lambda n: f'{quote(n)}::varchar')}, "
            f"{target} as _file, file_row_number + 1 as _line, {raw_json} as _raw, "
            f"null::varchar as _reject "
            f"from read_parquet({target}, file_row_number = true, hive_partitioning = false)"
        )

    def relation(self) -> str:
        if not self.parts and not self.rejects:
            return ""
        selects = [f"select * from {view}" for view in self.parts] + self.rejects
        return " union all ".join(selects)


def _csv_problem(path: Path, message: str) -> str:
    line = re.search(r"[Ll]ine:?\s*(\d+)", message)
    where = f"line {line.group(1)}" if line else "its start"
    lowered = message.lower()
    # Match DuckDB's own wording: its sniffer failure lists encoding and compression among
    # the possible fixes, and a stray quote must not be reported as a wrong encoding.
    if "invalid unicode" in lowered or "not utf-8" in lowered:
        return (
            f"{path}: not UTF-8 text at {where}. Export the file as UTF-8 "
            "(for example `iconv -f latin1 -t utf-8`)."
        )
    if "gzip" in lowered:
        return f"{path}: the gzip stream is damaged near {where}. Re-send the file."
    return (
        f"{path}: cannot be read as CSV at {where}: {_first_line(message)}. "
        "Send comma-separated UTF-8 with one header row and double-quoted text fields."
    )


def _text_problem(path: Path, message: str) -> str:
    line = re.search(r"[Ll]ine:?\s*(\d+)", message)
    where = f"line {line.group(1)}" if line else "its start"
    if "unicode" in message.lower() or "utf-8" in message.lower():
        return f"{path}: not UTF-8 text at {where}. Export the file as UTF-8."
    return (
        f"{path}: cannot be read as JSON lines at {where}: {_first_line(message)}. "
        "Send one JSON object per line, UTF-8."
    )


def _reference_views(con: duckdb.DuckDBPyConnection, reference_folder: Path | None):
    """Views `ref_<table>(key)` over the reference CSVs that exist; returns their names."""
    views: dict[str, str] = {}
    if reference_folder is None:
        return views
    for name, table in REFERENCE_TABLES.items():
        path = reference_folder / f"{name}.csv"
        if not path.exists():
            continue
        key = table.key[0]
        con.execute(
            f"create temp view ref_{name} as select {quote(key)}::varchar as key "
            f"from read_csv({_sql_string(str(path))}, header = true, all_varchar = true)"
        )
        views[name] = f"ref_{name}"
    return views


def _existing_partitions(root: Path, feed: str, first: dt.date, last: dt.date, skip: dt.date):
    folder = root / feed
    if not folder.is_dir():
        return []
    files = []
    for child in sorted(folder.iterdir()):
        if not child.name.startswith("date="):
            continue
        try:
            day = dt.date.fromisoformat(child.name.removeprefix("date="))
        except ValueError:
            continue
        part = child / "part.parquet"
        if first <= day <= last and day != skip and part.exists():
            files.append(str(part))
    return files


def ingest_partition(
    feed_name: str,
    day: dt.date,
    paths: LakePaths,
    salt: str,
    now: dt.datetime | None = None,
    reference_folder: Path | None = None,
) -> PartitionResult:
    """Judge and write one feed's partition; see the module docstring for the guarantees."""
    began = time.perf_counter()
    feed = FEEDS[feed_name]
    now = now or dt.datetime.now(dt.UTC)
    files = landing_files(paths, feed_name, day)
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set enable_progress_bar = false")
        reader = _Reader(con, feed)
        for path in files:
            reader.add(path)
        relation = reader.relation()
        if relation:
            con.execute(f"create temp table raw as {relation}")
        else:
            columns = ", ".join(f"null::varchar as {quote(c)}" for c in feed.column_names)
            con.execute(
                f"create temp table raw as select {columns}, null::varchar as _file, "
                "null::bigint as _line, null::varchar as _raw, null::varchar as _reject "
                "where false"
            )
        references = _reference_views(con, reference_folder or paths.landing / "reference")
        result = _judge(con, feed, day, paths, references, now)
        quarantined = _write_outputs(con, feed, day, paths, salt)
        rows_read = con.execute("select count(*) from raw").fetchone()[0]
        accepted = con.execute("select count(*) from judged where _reason is null").fetchone()[0]
        if rows_read != accepted + quarantined:
            raise AssertionError(
                f"{feed_name} {day}: read {rows_read} rows but accepted {accepted} and "
                f"quarantined {quarantined}"
            )
        return PartitionResult(
            feed=feed_name,
            partition=day.isoformat(),
            files=[str(p) for p in files],
            bytes_read=sum(p.stat().st_size for p in files),
            rows_read=rows_read,
            rows_accepted=accepted,
            rows_quarantined=quarantined,
            quarantined_by_rule=result,
            extra_columns=reader.extra_columns,
            seconds=time.perf_counter() - began,
        )
    finally:
        con.close()


def _judge(con, feed: Feed, day: dt.date, paths: LakePaths, references, now) -> dict[str, int]:
    """Create table `judged`: typed columns plus `_reason`, the first rule each row broke."""
    checks = rule_checks(feed, text_input=True, references=references)
    con.execute(f"create temp table typed as select *, {typed_select(feed, True)} from raw")

    cases = ["when _reject is not null then _reject"]
    values = ["when _reject is not null then _raw"]
    for check in checks:
        label = check.rule if check.column is None else f"{check.rule}:{check.column}"
        cases.append(f"when {check.violated} then {_sql_string(label)}")
        raw_value = quote(check.column) if check.column else "_raw"
        values.append(f"when {check.violated} then {raw_value}")

    window_start = day - dt.timedelta(days=feed.late_tolerance_days)
    if feed.partition_field:
        typed = quote(f"typed_{feed.partition_field}")
        condition = (
            f"{typed} is not null and ({typed}::date < date {_sql_string(window_start.isoformat())}"
            f" or {typed}::date > date {_sql_string(day.isoformat())})"
        )
        cases.append(f"when {condition} then 'out_of_window:{feed.partition_field}'")
        values.append(f"when {condition} then {quote(feed.partition_field)}")
    future_limit = _sql_string((now + FUTURE_SKEW).isoformat())
    for column in feed.columns:
        if column.type == "timestamp" and not column.planned:
            typed = quote(f"typed_{column.name}")
            condition = f"{typed} > timestamptz {future_limit}"
            cases.append(f"when {condition} then 'future_timestamp:{column.name}'")
            values.append(f"when {condition} then {quote(column.name)}")

    if feed.references_orders:
        if feed.partition_field is None:
            first = day
        else:
            first = day - dt.timedelta(days=ORDER_LOOKBACK_DAYS)
        order_files = _existing_partitions(paths.lake, "orders", first, day, skip=dt.date.min)
        if order_files:
            file_list = "[" + ", ".join(_sql_string(f) for f in order_files) + "]"
            con.execute(
                f"create temp table known_orders as select distinct order_id "
                f"from read_parquet({file_list})"
            )
        else:
            con.execute("create temp table known_orders (order_id varchar)")
        condition = (
            '"typed_order_id" is not null and "typed_order_id" not in '
            "(select order_id from known_orders)"
        )
        cases.append(f"when {condition} then 'unknown_order:order_id'")
        values.append(f'when {condition} then "order_id"')

    con.execute(
        "create temp table judged as select *, "
        f"case {' '.join(cases)} end as _reason, "
        f"case {' '.join(values)} end as _raw_value from typed"
    )

    # Keys: a repeat inside the partition, then a key another partition already holds.
    key_typed = ", ".join(quote(f"typed_{k}") for k in feed.key)
    con.execute(
        "update judged set _reason = 'duplicate_key', _raw_value = _raw "
        "where _reason is null and (_file, _line) in ("
        f"select _file, _line from (select _file, _line, row_number() over "
        f"(partition by {key_typed} order by _file, _line) as n from judged "
        "where _reason is null) where n > 1)"
    )
    other_files = _existing_partitions(paths.lake, feed.name, dt.date.min, dt.date.max, skip=day)
    if other_files:
        file_list = "[" + ", ".join(_sql_string(f) for f in other_files) + "]"
        key_columns = ", ".join(quote(k) for k in feed.key)
        con.execute(
            "update judged set _reason = 'duplicate_key_other_partition', _raw_value = _raw "
            f"where _reason is null and ({key_typed}) in "
            f"(select ({key_columns}) from read_parquet({file_list}))"
        )
    counts = con.execute(
        "select _reason, count(*) from judged where _reason is not null group by 1 order by 1"
    ).fetchall()
    return {reason: count for reason, count in counts}


def _write_outputs(con, feed: Feed, day: dt.date, paths: LakePaths, salt: str) -> int:
    """Write lake and quarantine files for the day, each replaced atomically."""
    columns = []
    for column in feed.columns:
        typed = quote(f"typed_{column.name}")
        if column.pii:
            # A salted hash keeps the customer joinable across feeds without keeping who it is.
            expression = f"sha256({_sql_string(salt)} || {typed})"
        else:
            expression = f"{typed}::{LAKE_TYPES[column.type]}"
        columns.append(f"{expression} as {quote(column.name)}")
    _replace(
        con,
        f"select {', '.join(columns)} from judged where _reason is null order by _file, _line",
        paths.lake_file(feed.name, day),
    )
    quarantine_query = (
        "select _file as file, _line as line, split_part(_reason, ':', 1) as rule, "
        "nullif(split_part(_reason, ':', 2), '') as column_name, _raw_value as raw_value, "
        "_raw as raw_row from judged where _reason is not null order by _file, _line"
    )
    _replace(con, quarantine_query, paths.quarantine_file(feed.name, day))
    return con.execute("select count(*) from judged where _reason is not null").fetchone()[0]


def _replace(con, query: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    con.execute(
        f"copy ({query}) to {_sql_string(str(temporary))} (format parquet, compression zstd)"
    )
    os.replace(temporary, target)
