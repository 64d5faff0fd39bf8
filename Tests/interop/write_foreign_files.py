"""Writes Parquet files with pyarrow, DuckDB and polars, each with a NAME.expected.json manifest, for
the Swift tests to read through Mimir's reader. Usage: write_foreign_files.py DIR"""
import json
import os
import random
import sys

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from manifest import encode

TYPES = {
    "flag": ("bool", pa.bool_()), "small": ("int32", pa.int32()), "big": ("int64", pa.int64()),
    "x": ("double", pa.float64()), "name": ("string", pa.string()), "blob": ("binary", pa.binary()),
    "ts": ("timestamp", pa.timestamp("us", tz="UTC")),
}


def base_columns(rows=1500, seed=11):
    """Low-cardinality strings (so dictionaries are used), nulls in every column, extreme values."""
    rng = random.Random(seed)
    services = ["cart", "catalogue", "orders", "payment", "user", "shipping", "front-end", "grüße-日本"]

    def maybe(value):
        return None if rng.random() < 0.1 else value

    columns = {
        "flag": [maybe(rng.random() < 0.5) for _ in range(rows)],
        "small": [maybe(rng.choice([-(2**31), 2**31 - 1, 0, rng.randrange(-1000, 1000)])) for _ in range(rows)],
        "big": [maybe(rng.choice([-(2**63), 2**63 - 1, rng.randrange(-(2**40), 2**40)])) for _ in range(rows)],
        "x": [maybe(rng.choice([float("nan"), float("inf"), -0.0, rng.uniform(-1e6, 1e6)])) for _ in range(rows)],
        "name": [maybe(rng.choice(services + [""])) for _ in range(rows)],
        "blob": [maybe(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 12)))) for _ in range(rows)],
        "ts": [maybe(1_764_400_000_000_000 + rng.randrange(0, 86_400_000_000)) for _ in range(rows)],
    }
    return columns


def arrow_table(columns, nullable=True):
    fields = [pa.field(name, TYPES[name][1], nullable=nullable) for name in columns]
    return pa.table({name: pa.array(values, TYPES[name][1]) for name, values in columns.items()},
                    schema=pa.schema(fields))


def write_manifest(path, columns, nullable=None, expect_error=None, metadata=None, types=None):
    manifest = {"columns": [
        {"name": name, "type": (types or {}).get(name, TYPES.get(name, (None,))[0]), "nullable": nullable,
         "sort_key": False,
         "values": [encode((types or {}).get(name, TYPES.get(name, (None,))[0]), v) for v in values]}
        for name, values in columns.items()]}
    if expect_error:
        manifest["expect_error"] = expect_error
    if metadata:
        manifest["metadata"] = metadata
    with open(path[: -len(".parquet")] + ".expected.json", "w") as handle:
        json.dump(manifest, handle)


def main(directory):
    os.makedirs(directory, exist_ok=True)
    columns = base_columns()
    table = arrow_table(columns)
    written = []

    # pyarrow: every combination of codec, dictionary and page version, with small pages and row
    # groups so files have many of each.
    for compression in ("zstd", "none"):
        for dictionary in (True, False):
            for page_version in ("1.0", "2.0"):
                name = f"pyarrow-{compression}-{'dict' if dictionary else 'plain'}-v{page_version[0]}.parquet"
                path = os.path.join(directory, name)
                pq.write_table(table.replace_schema_metadata({"origin": "pyarrow"}), path, compression=compression,
                               use_dictionary=dictionary, data_page_version=page_version,
                               data_page_size=512, row_group_size=400)
                write_manifest(path, columns, nullable=True, metadata={"origin": "pyarrow"})
                written.append(name)

    # pyarrow with REQUIRED columns (no definition levels) and its defaults otherwise.
    required = {name: [v for v in values] for name, values in base_columns(seed=12).items()}
    filled = {name: [v if v is not None else fallback for v in values] for (name, values), fallback in
              zip(required.items(), [False, 0, 0, 0.5, "", b"", 0])}
    path = os.path.join(directory, "pyarrow-required.parquet")
    pq.write_table(arrow_table(filled, nullable=False), path, compression="zstd")
    write_manifest(path, filled, nullable=False)
    written.append("pyarrow-required.parquet")

    # pyarrow timestamps in other units and without UTC adjustment, read as microseconds.
    stamps = [1_764_400_000_123_456, None, -1_000_001, 0]
    units = pa.table({
        "ms": pa.array([None if s is None else s // 1000 for s in stamps], pa.timestamp("ms", tz="UTC")),
        "ns": pa.array([None if s is None else s * 1000 + 999 for s in stamps], pa.timestamp("ns", tz="UTC")),
        "local": pa.array(stamps, pa.timestamp("us")),
        "tiny": pa.array([1, None, -128, 127], pa.int8()),
    })
    path = os.path.join(directory, "pyarrow-units.parquet")
    pq.write_table(units, path, compression="zstd", coerce_timestamps=None, allow_truncated_timestamps=False)
    write_manifest(path, {"ms": [None if s is None else (s // 1000) * 1000 for s in stamps], "ns": stamps,
                          "local": stamps, "tiny": [1, None, -128, 127]},
                   types={"ms": "timestamp", "ns": "timestamp", "local": "timestamp", "tiny": "int32"})
    written.append("pyarrow-units.parquet")

    # DuckDB and polars, each asked for ZSTD and otherwise left at their defaults.
    connection = duckdb.connect()
    connection.register("source", table)
    path = os.path.join(directory, "duckdb-zstd.parquet")
    connection.execute(f"COPY source TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 500)")
    write_manifest(path, columns)
    written.append("duckdb-zstd.parquet")

    path = os.path.join(directory, "polars-zstd.parquet")
    pl.from_arrow(table).write_parquet(path, compression="zstd", row_group_size=700)
    write_manifest(path, columns)
    written.append("polars-zstd.parquet")

    # What the reader must refuse, naming what it does not support.
    path = os.path.join(directory, "pyarrow-snappy.parquet")
    pq.write_table(table, path, compression="snappy")
    write_manifest(path, columns, expect_error="SNAPPY")
    written.append("pyarrow-snappy.parquet")

    path = os.path.join(directory, "pyarrow-delta.parquet")
    pq.write_table(table.select(["big"]), path, compression="zstd", use_dictionary=False,
                   column_encoding={"big": "DELTA_BINARY_PACKED"})
    write_manifest(path, {"big": columns["big"]}, expect_error="DELTA_BINARY_PACKED")
    written.append("pyarrow-delta.parquet")

    path = os.path.join(directory, "pyarrow-nested.parquet")
    pq.write_table(pa.table({"list": pa.array([[1, 2], [3]], pa.list_(pa.int64()))}), path, compression="zstd")
    write_manifest(path, {}, expect_error="nested")
    written.append("pyarrow-nested.parquet")

    print(f"wrote {len(written)} files with pyarrow {pa.__version__}, duckdb {duckdb.__version__}, polars {pl.__version__}")


if __name__ == "__main__":
    main(sys.argv[1])
