"""Reads every NAME.parquet that has a NAME.expected.json in DIR with pyarrow, DuckDB and polars, and
checks values, types, nulls, key-value metadata and statistics against the manifest. Exits 1 and
lists every mismatch if anything differs. Usage: check_mimir_files.py DIR"""
import glob
import json
import os
import sys

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from manifest import decode, same

ARROW_TYPES = {
    "bool": pa.bool_(), "int32": pa.int32(), "int64": pa.int64(), "double": pa.float64(),
    "string": pa.string(), "binary": pa.binary(), "timestamp": pa.timestamp("us", tz="UTC"),
}
DUCKDB_TYPES = {
    "bool": "BOOLEAN", "int32": "INTEGER", "int64": "BIGINT", "double": "DOUBLE",
    "string": "VARCHAR", "binary": "BLOB", "timestamp": "TIMESTAMP WITH TIME ZONE",
}
POLARS_TYPES = {
    "bool": pl.Boolean, "int32": pl.Int32, "int64": pl.Int64, "double": pl.Float64,
    "string": pl.String, "binary": pl.Binary, "timestamp": pl.Datetime("us", "UTC"),
}

problems = []


def compare(reader, path, column, got):
    expected = [decode(column["type"], v) for v in column["values"]]
    if len(got) != len(expected):
        problems.append(f"{reader}: {path}: column {column['name']}: {len(got)} rows, expected {len(expected)}")
        return
    for row, (a, b) in enumerate(zip(got, expected)):
        if not same(column["type"], a, b):
            problems.append(f"{reader}: {path}: column {column['name']} row {row}: got {short(a)}, expected {short(b)}")
            return


def short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_pyarrow(path, manifest):
    parquet = pq.ParquetFile(path)
    table = parquet.read(use_threads=False)
    metadata = {k.decode(): v.decode() for k, v in (parquet.metadata.metadata or {}).items()}
    for key, value in manifest.get("metadata", {}).items():
        if metadata.get(key) != value:
            problems.append(f"pyarrow: {path}: metadata {key} = {metadata.get(key)!r}, expected {value!r}")
    if table.column_names != [c["name"] for c in manifest["columns"]]:
        problems.append(f"pyarrow: {path}: columns {table.column_names}")
        return
    for index, column in enumerate(manifest["columns"]):
        field = table.schema.field(index)
        if field.type != ARROW_TYPES[column["type"]]:
            problems.append(f"pyarrow: {path}: column {column['name']} has type {field.type}")
        if column["nullable"] is not None and field.nullable != column["nullable"]:
            problems.append(f"pyarrow: {path}: column {column['name']} nullable={field.nullable}")
        values = table.column(index)
        if column["type"] == "timestamp":
            values = values.cast(pa.int64())
        compare("pyarrow", path, column, values.to_pylist())
        check_statistics(path, parquet, index, column)


def check_statistics(path, parquet, index, column):
    """null_count on every column, min and max exactly on sort keys (per row group)."""
    expected = [decode(column["type"], v) for v in column["values"]]
    start = 0
    for group in range(parquet.metadata.num_row_groups):
        rows = parquet.metadata.row_group(group).num_rows
        part = expected[start:start + rows]
        start += rows
        stats = parquet.metadata.row_group(group).column(index).statistics
        name = column["name"]
        if stats is None or stats.null_count != sum(v is None for v in part):
            problems.append(f"pyarrow: {path}: {name} row group {group}: null_count {stats and stats.null_count}")
            continue
        present = [v for v in part if v is not None and not (column["type"] == "double" and v != v)]
        if not column.get("sort_key"):
            continue
        if not present:
            if stats.has_min_max:
                problems.append(f"pyarrow: {path}: {name} row group {group}: min/max on no values")
            continue
        if column["type"] == "string":  # statistics order strings by their UTF-8 bytes
            present = [v.encode() for v in present]
        low, high = min(present), max(present)
        # The physical values: pyarrow's converted ones turn timestamps into datetimes, which overflow.
        got_low, got_high = stats.min_raw, stats.max_raw
        if not stats.has_min_max or got_low != low or got_high != high:
            problems.append(f"pyarrow: {path}: {name} row group {group}: min/max {short(got_low)}/{short(got_high)}, "
                            f"expected {short(low)}/{short(high)}")


def check_duckdb(path, manifest):
    connection = duckdb.connect()
    described = connection.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()
    for (name, type_name, *_), column in zip(described, manifest["columns"]):
        if name != column["name"] or type_name != DUCKDB_TYPES[column["type"]]:
            problems.append(f"duckdb: {path}: column {name} {type_name}, expected {column['name']} {DUCKDB_TYPES[column['type']]}")
    selects = []
    for column in manifest["columns"]:
        quoted = '"' + column["name"].replace('"', '""') + '"'
        selects.append(f"epoch_us({quoted})" if column["type"] == "timestamp" else quoted)
    rows = connection.execute(f"SELECT {', '.join(selects)} FROM read_parquet(?)", [path]).fetchall()
    for index, column in enumerate(manifest["columns"]):
        compare("duckdb", path, column, [row[index] for row in rows])
    kv = dict(connection.execute("SELECT decode(key), decode(value) FROM parquet_kv_metadata(?)", [path]).fetchall())
    for key, value in manifest.get("metadata", {}).items():
        if kv.get(key) != value:
            problems.append(f"duckdb: {path}: metadata {key} = {kv.get(key)!r}, expected {value!r}")


def check_polars(path, manifest):
    frame = pl.read_parquet(path)
    for column in manifest["columns"]:
        series = frame[column["name"]]
        if series.dtype != POLARS_TYPES[column["type"]]:
            problems.append(f"polars: {path}: column {column['name']} has dtype {series.dtype}")
        if column["type"] == "timestamp":
            series = series.dt.epoch("us")
        compare("polars", path, column, series.to_list())
    kv = pl.read_parquet_metadata(path)
    for key, value in manifest.get("metadata", {}).items():
        if kv.get(key) != value:
            problems.append(f"polars: {path}: metadata {key} = {kv.get(key)!r}, expected {value!r}")


def main(directory):
    checked = 0
    for manifest_path in sorted(glob.glob(os.path.join(directory, "*.expected.json"))):
        path = manifest_path[: -len(".expected.json")] + ".parquet"
        with open(manifest_path) as handle:
            manifest = json.load(handle)
        for check in (check_pyarrow, check_duckdb, check_polars):
            try:
                check(path, manifest)
            except Exception as error:  # a reader refusing our file is a finding, not a crash of the check
                problems.append(f"{check.__name__}: {path}: {type(error).__name__}: {error}")
        checked += 1
    for problem in problems:
        print(problem)
    print(f"checked {checked} files with pyarrow {pa.__version__}, duckdb {duckdb.__version__}, polars {pl.__version__}: "
          f"{len(problems)} problems")
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
