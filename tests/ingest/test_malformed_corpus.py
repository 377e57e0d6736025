"""Every malformed landing file in `corpus/` meets its one honest outcome.

A file either fails the whole day with `LandingFileError` (naming the file and the fix, the
lake left as it was) or is read in full, with each broken row quarantined under the rule it
broke, at its line: CSV lines count the header as line 1, JSON lines count physical lines,
Parquet rows count from 1. The corpus is written by `corpus/make_corpus.py`; each case lands
in `landing/<feed>/date=2026-01-05/` of a fresh temporary layout.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orch_assets.contracts import FEEDS
from orch_assets.ingest.core import LakePaths, LandingFileError, PartitionResult, ingest_partition

CORPUS = Path(__file__).parent / "corpus"
CASES = CORPUS / "cases"
SUPPORT = CORPUS / "support"
DAY = dt.date(2026, 1, 5)
DAY_BEFORE = dt.date(2026, 1, 4)
NOW = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)
SALT = "corpus-salt"

COVERED: set[str] = set()


def corpus_case(relative: str):
    """Mark a test as the one for corpus case `cases/<relative>`, passed in as `case`."""
    COVERED.add(relative)
    return pytest.mark.parametrize("case", [relative], ids=[relative])


@dataclass
class Lake:
    """A temporary landing, lake and quarantine layout with the reference tables in place."""

    paths: LakePaths

    def land(self, case: str, feed: str | None = None, day: dt.date = DAY) -> list[Path]:
        """Copy a case (a file, or every file of a case folder) into the day's landing."""
        source = CASES / case if (CASES / case).exists() else SUPPORT / case
        feed = feed or case.split("/")[0]
        folder = self.paths.landing_partition(feed, day)
        # Replace, not add: a day's landing must hold only the case under test.
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        sources = sorted(source.iterdir()) if source.is_dir() else [source]
        for path in sources:
            shutil.copyfile(path, folder / path.name)
        return [folder / path.name for path in sources]

    def ingest(self, feed: str, day: dt.date = DAY) -> PartitionResult:
        return ingest_partition(feed, day, self.paths, SALT, now=NOW)

    def seed_orders(self, day: dt.date = DAY) -> None:
        """Ingest the valid support orders of `day`, as an earlier good run would have."""
        self.land(f"orders_{day.isoformat()}.csv", feed="orders", day=day)
        result = self.ingest("orders", day)
        assert result.rows_quarantined == 0
        shutil.rmtree(self.paths.landing_partition("orders", day))

    def quarantined(self, feed: str) -> list[tuple]:
        """(file name, line, rule, column, raw value) of each quarantined row, in file order."""
        target = self.paths.quarantine_file(feed, DAY)
        return [
            (Path(file).name, line, rule, column, raw)
            for file, line, rule, column, raw in duckdb.execute(
                "select file, line, rule, column_name, raw_value from read_parquet(?) "
                "order by file, line",
                [str(target)],
            ).fetchall()
        ]

    def raw_rows(self, feed: str) -> dict[int, str]:
        target = self.paths.quarantine_file(feed, DAY)
        return dict(
            duckdb.execute("select line, raw_row from read_parquet(?)", [str(target)]).fetchall()
        )

    def accepted(self, feed: str, column: str) -> list:
        target = self.paths.lake_file(feed, DAY)
        return [
            value
            for (value,) in duckdb.execute(
                f'select "{column}" from read_parquet(?)', [str(target)]
            ).fetchall()
        ]

    def snapshot(self) -> dict[str, bytes]:
        """Every lake and quarantine file with its bytes."""
        return {
            str(path): path.read_bytes()
            for root in (self.paths.lake, self.paths.quarantine)
            if root.exists()
            for path in sorted(root.rglob("*"))
            if path.is_file()
        }


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    paths = LakePaths(tmp_path / "landing", tmp_path / "lake", tmp_path / "quarantine")
    reference = paths.landing / "reference"
    reference.mkdir(parents=True)
    for name in ("nodes", "carriers"):
        shutil.copyfile(SUPPORT / f"{name}.csv", reference / f"{name}.csv")
    return Lake(paths)


def rows_in(path: Path) -> int:
    """Data rows in a landing file, counted without DuckDB, to catch a row that vanished."""
    if path.suffix == ".parquet":
        return pq.read_metadata(path).num_rows
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    lines = [line for line in data.decode("utf-8").splitlines() if line.strip()]
    # No corpus CSV has a quoted line break, so a CSV row is one line after the header.
    return len(lines) - 1 if ".csv" in path.name else len(lines)


def judge(lake: Lake, case: str, accepted: int, by_rule: dict[str, int]) -> PartitionResult:
    """Ingest a case that must be read in full, and check its counts and their balance."""
    feed = case.split("/")[0]
    landed = lake.land(case)
    result = lake.ingest(feed)
    assert result.quarantined_by_rule == by_rule
    assert result.rows_accepted == accepted
    assert result.rows_quarantined == sum(by_rule.values())
    assert result.rows_read == result.rows_accepted + result.rows_quarantined
    assert result.rows_read == sum(rows_in(path) for path in landed)
    assert result.files == [str(path) for path in landed]
    assert len(lake.accepted(feed, FEEDS[feed].key[0])) == accepted
    return result


def refuse(lake: Lake, case: str, *hints: str) -> str:
    """Ingest a case that must fail the day; the message names the file and every hint."""
    feed = case.split("/")[0]
    if feed == "orders":
        # An earlier good run of the same day: the failing run must leave it in place.
        lake.seed_orders()
    before = lake.snapshot()
    (landed,) = lake.land(case)
    with pytest.raises(LandingFileError) as caught:
        lake.ingest(feed)
    message = str(caught.value)
    assert str(landed) in message
    for hint in hints:
        assert hint in message
    assert lake.snapshot() == before
    if feed != "orders":
        assert not lake.paths.lake_file(feed, DAY).exists()
    return message


# Files that cannot be read at all fail the day.


@corpus_case("orders/empty.csv")
def test_a_zero_byte_file_fails_the_day_and_asks_for_a_header_only_file(lake, case):
    refuse(lake, case, "0 bytes", "only the header row")


@corpus_case("orders/latin1.csv")
def test_a_latin1_csv_fails_the_day_at_its_first_line_that_is_not_utf8(lake, case):
    # Only line 4 has a non-ASCII byte; quarantining it would keep a mangled raw row, and
    # the other rows of a file in the wrong encoding are not to be trusted either.
    refuse(lake, case, "not UTF-8 text at line 4", "iconv -f latin1 -t utf-8")


@corpus_case("order_events/latin1.jsonl")
def test_a_latin1_jsonl_file_fails_the_day_at_its_first_line_that_is_not_utf8(lake, case):
    lake.seed_orders()
    refuse(lake, case, "not UTF-8 text at line 3", "Export the file as UTF-8")


@corpus_case("orders/missing_required_column.csv")
def test_a_csv_without_a_required_column_fails_the_day_naming_the_column(lake, case):
    refuse(lake, case, "header row lacks required column(s) currency", "docs/feeds.md")


@corpus_case("order_lines/truncated.parquet")
def test_a_parquet_file_cut_short_fails_the_day(lake, case):
    lake.seed_orders()
    refuse(lake, case, "not a readable Parquet file", "Re-export it as Parquet")


@corpus_case("orders/unknown_extension.txt")
def test_a_file_with_an_unknown_extension_fails_the_day(lake, case):
    refuse(lake, case, "file type not accepted", ".csv.gz", "Rename or convert it")


@corpus_case("orders/stray_quote.csv")
def test_a_stray_quote_in_a_small_csv_fails_the_day_without_blaming_the_encoding(lake, case):
    # DuckDB's dialect sniffer gives up on the unclosed quote in line 3 without a line
    # number, and its list of possible fixes mentions encodings; the message must not.
    message = refuse(lake, case, "cannot be read as CSV", "double-quoted text fields")
    assert "not UTF-8" not in message
    assert "iconv" not in message


@corpus_case("orders/unclosed_quote_past_sniff_sample.csv.gz")
def test_an_unclosed_quote_past_the_sniff_sample_fails_the_day_instead_of_eating_rows(lake, case):
    # Past the sniffer's sample DuckDB reads on and rejects one "row" holding lines 2092 to
    # the end; quarantining it would lose the 9 orders after it without a count.
    refuse(lake, case, "quote opened on line 2092 is never closed", "Close the quote")


# Files read in full: every row accepted or quarantined at its line.


@corpus_case("orders/header_only.csv")
def test_a_header_only_csv_is_an_empty_day_not_an_error(lake, case):
    result = judge(lake, case, accepted=0, by_rule={})
    assert result.rows_read == 0
    assert lake.paths.lake_file("orders", DAY).exists()
    assert lake.quarantined("orders") == []


@corpus_case("orders/extra_column.csv")
def test_extra_csv_columns_are_ignored_and_reported(lake, case):
    result = judge(lake, case, accepted=2, by_rule={})
    (landed,) = result.files
    assert result.extra_columns == {landed: ["coupon_code", "source_batch"]}
    lake_columns = pq.read_schema(lake.paths.lake_file("orders", DAY)).names
    assert lake_columns == list(FEEDS["orders"].column_names)


@corpus_case("orders/wrong_types.csv")
def test_values_of_the_wrong_type_are_quarantined_with_their_raw_text(lake, case):
    judge(
        lake,
        case,
        accepted=1,
        by_rule={
            "type:order_value": 1,
            "type:ship_to_zone": 1,
            "type:promised_delivery_date": 1,
            "type:created_at": 1,
        },
    )
    assert lake.quarantined("orders") == [
        ("wrong_types.csv", 3, "type", "order_value", "abc"),
        ("wrong_types.csv", 4, "type", "ship_to_zone", "x"),
        ("wrong_types.csv", 5, "type", "promised_delivery_date", "01/08/2026"),
        ("wrong_types.csv", 6, "type", "created_at", "yesterday"),
    ]


@corpus_case("orders/duplicate_keys.csv")
def test_a_key_repeated_within_the_day_keeps_the_first_valid_row(lake, case):
    judge(lake, case, accepted=4, by_rule={"duplicate_key": 3, "allowed:channel": 1})
    assert [(line, rule) for _, line, rule, _, _ in lake.quarantined("orders")] == [
        (4, "duplicate_key"),
        (5, "duplicate_key"),
        (7, "duplicate_key"),
        (8, "allowed"),
    ]
    # The first occurrences are the ones kept, and O-2704's invalid first row at line 8
    # does not shadow its valid second row.
    assert sorted(lake.accepted("orders", "order_id")) == ["O-2701", "O-2702", "O-2703", "O-2704"]
    assert lake.accepted("orders", "order_value") == [Decimal("42.50")] * 4
    assert '"order_value":"3.00"' in lake.raw_rows("orders")[7]


@corpus_case("orders/duplicate_key_other_partition.csv")
def test_a_key_another_day_already_holds_is_quarantined(lake, case):
    lake.seed_orders(DAY_BEFORE)
    judge(lake, case, accepted=2, by_rule={"duplicate_key_other_partition": 1})
    ((name, line, rule, column, _),) = lake.quarantined("orders")
    assert (name, line, rule, column) == (
        "duplicate_key_other_partition.csv",
        3,
        "duplicate_key_other_partition",
        None,
    )
    assert '"order_id":"O-0902"' in lake.raw_rows("orders")[3]


@corpus_case("orders/negative_money.csv")
def test_negative_money_breaks_the_minimum_and_zero_does_not(lake, case):
    judge(lake, case, accepted=1, by_rule={"minimum:order_value": 2})
    assert lake.quarantined("orders") == [
        ("negative_money.csv", 2, "minimum", "order_value", "-5"),
        ("negative_money.csv", 4, "minimum", "order_value", "-0.01"),
    ]
    assert lake.accepted("orders", "order_id") == ["O-2902"]


@corpus_case("shipments/future_timestamp.parquet")
def test_a_timestamp_past_ingestion_time_and_its_skew_is_quarantined(lake, case):
    lake.seed_orders()
    judge(
        lake,
        case,
        accepted=2,
        by_rule={"future_timestamp:delivered_at": 1, "future_timestamp:shipped_at": 1},
    )
    # Row 3 is shipped 5 minutes after ingestion time, inside the 10 allowed, with a planned
    # ship-by time in the future, which is allowed; row 4 is 11 minutes ahead.
    assert lake.quarantined("shipments") == [
        (
            "future_timestamp.parquet",
            2,
            "future_timestamp",
            "delivered_at",
            "2026-01-12 10:00:00+00",
        ),
        ("future_timestamp.parquet", 4, "future_timestamp", "shipped_at", "2026-01-10 00:11:00+00"),
    ]
    assert sorted(lake.accepted("shipments", "shipment_id")) == ["S-7101", "S-7103"]


@corpus_case("orders/out_of_window.csv")
def test_created_at_on_another_utc_day_than_the_folder_is_out_of_window(lake, case):
    judge(lake, case, accepted=3, by_rule={"out_of_window:created_at": 3})
    assert lake.quarantined("orders") == [
        ("out_of_window.csv", 3, "out_of_window", "created_at", "2026-01-06T01:00:00Z"),
        ("out_of_window.csv", 4, "out_of_window", "created_at", "2026-01-05T20:30:00-05:00"),
        ("out_of_window.csv", 5, "out_of_window", "created_at", "2026-01-04T23:59:59Z"),
    ]
    # 18:00 at -05:00 is stored as 23:00 UTC, on the folder's day.
    assert dt.datetime(2026, 1, 5, 23, tzinfo=dt.UTC) in lake.accepted("orders", "created_at")


@corpus_case("order_events/late_and_out_of_window.jsonl")
def test_events_up_to_two_days_late_are_accepted_and_older_or_later_ones_are_not(lake, case):
    lake.seed_orders()
    judge(lake, case, accepted=3, by_rule={"out_of_window:occurred_at": 2})
    assert lake.quarantined("order_events") == [
        ("late_and_out_of_window.jsonl", 3, "out_of_window", "occurred_at", "2026-01-02T23:59:59Z"),
        ("late_and_out_of_window.jsonl", 4, "out_of_window", "occurred_at", "2026-01-06T00:00:00Z"),
    ]
    assert sorted(lake.accepted("order_events", "event_id")) == ["E-5301", "E-5302", "E-5305"]


@corpus_case("orders/timestamp_without_offset.csv")
def test_a_timestamp_without_an_offset_is_a_type_error(lake, case):
    judge(lake, case, accepted=2, by_rule={"type:created_at": 2})
    assert lake.quarantined("orders") == [
        ("timestamp_without_offset.csv", 2, "type", "created_at", "2026-01-05T10:00:00"),
        ("timestamp_without_offset.csv", 3, "type", "created_at", "2026-01-05 10:00:00"),
    ]
    assert sorted(lake.accepted("orders", "created_at")) == [
        dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC),
    ]


@corpus_case("finance_ledger/naive_timestamp.parquet")
def test_a_parquet_timestamp_without_a_time_zone_is_a_type_error(lake, case):
    # A Parquet timestamp not adjusted to UTC is local time of an unknown zone, the same
    # ambiguity as text without an offset.
    judge(lake, case, accepted=0, by_rule={"type:booked_at": 2})
    assert lake.quarantined("finance_ledger") == [
        ("naive_timestamp.parquet", 1, "type", "booked_at", "2026-01-05 09:00:00"),
        ("naive_timestamp.parquet", 2, "type", "booked_at", "2026-01-05 11:00:00"),
    ]


@corpus_case("orders/unknown_codes.csv")
def test_unknown_codes_break_allowed_pattern_and_maximum(lake, case):
    judge(
        lake,
        case,
        accepted=1,
        by_rule={
            "allowed:channel": 2,
            "allowed:customer_region": 1,
            "pattern:currency": 1,
            "maximum:ship_to_zone": 1,
        },
    )
    # Codes are case-sensitive: `Web` is as unknown as `fax`.
    assert lake.quarantined("orders") == [
        ("unknown_codes.csv", 2, "allowed", "channel", "fax"),
        ("unknown_codes.csv", 3, "allowed", "channel", "Web"),
        ("unknown_codes.csv", 4, "allowed", "customer_region", "north"),
        ("unknown_codes.csv", 5, "pattern", "currency", "usd"),
        ("unknown_codes.csv", 6, "maximum", "ship_to_zone", "9"),
    ]


@corpus_case("order_lines/unknown_node.parquet")
def test_an_unknown_node_or_order_in_order_lines_is_quarantined(lake, case):
    lake.seed_orders()
    judge(lake, case, accepted=2, by_rule={"reference:node_id": 1, "unknown_order:order_id": 1})
    assert lake.quarantined("order_lines") == [
        ("unknown_node.parquet", 2, "reference", "node_id", "DC_XX"),
        ("unknown_node.parquet", 4, "unknown_order", "order_id", "O-9999"),
    ]
    # node_id is optional: the unrouted line with no node is accepted.
    assert sorted(lake.accepted("order_lines", "node_id"), key=str) == ["DC_NE", None]


@corpus_case("orders/quote_inside_field.csv")
def test_a_quote_inside_an_unquoted_field_is_kept_as_a_literal_character(lake, case):
    # Not RFC 4180, but DuckDB reads it unambiguously, and the value reaches the lake whole.
    judge(lake, case, accepted=2, by_rule={})
    expected = hashlib.sha256((SALT + 'CUST"7').encode()).hexdigest()
    assert expected in lake.accepted("orders", "customer_id")


@corpus_case("orders/ragged_rows.csv")
def test_rows_with_too_many_or_too_few_fields_keep_exact_line_numbers(lake, case):
    judge(
        lake,
        case,
        accepted=2,
        by_rule={"too_many_columns": 1, "missing_columns": 1, "allowed:channel": 1},
    )
    # The reader drops rejected lines from its row numbers; line 6 proves they are added back.
    quarantined = lake.quarantined("orders")
    assert [(line, rule) for _, line, rule, _, _ in quarantined] == [
        (3, "too_many_columns"),
        (5, "missing_columns"),
        (6, "allowed"),
    ]
    assert quarantined[1][4] == "O-3404,2026-01-05T10:00:00Z,web"
    assert sorted(lake.accepted("orders", "order_id")) == ["O-3401", "O-3403"]


@corpus_case("orders/mixed_formats")
def test_a_day_with_a_csv_and_a_jsonl_file_reads_both(lake, case):
    result = judge(lake, case, accepted=3, by_rule={"duplicate_key": 1, "allowed:channel": 1})
    assert [Path(f).name for f in result.files] == ["part-a.csv", "part-b.jsonl"]
    # O-3601 first came in part-a.csv, so its repeat in the JSON file is the duplicate.
    assert [(name, line, rule) for name, line, rule, _, _ in lake.quarantined("orders")] == [
        ("part-b.jsonl", 2, "duplicate_key"),
        ("part-b.jsonl", 3, "allowed"),
    ]
    assert sorted(lake.accepted("orders", "order_id")) == ["O-3601", "O-3602", "O-3603"]
    # JSON numbers read as the same values as CSV text.
    assert sorted(lake.accepted("orders", "ship_to_zone")) == [3, 3, 4]


@corpus_case("order_events/truncated_last_line.jsonl")
def test_a_jsonl_file_cut_mid_object_quarantines_only_its_last_line(lake, case):
    lake.seed_orders()
    judge(lake, case, accepted=3, by_rule={"malformed_json": 1})
    cut = (CASES / case).read_text().splitlines()[-1]
    assert lake.quarantined("order_events") == [
        ("truncated_last_line.jsonl", 4, "malformed_json", None, cut)
    ]
    assert lake.raw_rows("order_events") == {4: cut}


@corpus_case("order_events/array_line.jsonl")
def test_a_json_line_that_is_not_an_object_is_malformed_at_its_physical_line(lake, case):
    lake.seed_orders()
    judge(lake, case, accepted=2, by_rule={"malformed_json": 2})
    # Line 3 is blank: skipped, not counted as a row, but still counted as a line.
    assert lake.quarantined("order_events") == [
        ("array_line.jsonl", 2, "malformed_json", None, '["E-5202", "O-1001", "order_created"]'),
        ("array_line.jsonl", 4, "malformed_json", None, '"E-5203"'),
    ]


# The corpus itself.


def test_every_corpus_case_has_a_test():
    on_disk = {f"{path.parent.name}/{path.name}" for path in CASES.glob("*/*")}
    assert on_disk == COVERED
    assert len(on_disk) >= 16


def test_the_committed_corpus_is_what_its_generator_writes(tmp_path):
    subprocess.run(
        [sys.executable, str(CORPUS / "make_corpus.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    committed = {
        p.relative_to(CORPUS)
        for p in CORPUS.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    generated = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    assert generated == committed - {Path("make_corpus.py")}
    for relative in sorted(generated):
        assert (tmp_path / relative).read_bytes() == (CORPUS / relative).read_bytes(), (
            f"{relative} differs from what make_corpus.py writes; rerun it and commit the output"
        )
