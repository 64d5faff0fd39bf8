"""Prints a Parquet file's rows as a JSON list read by pyarrow (timestamps as epoch microseconds),
so tests can compare a Mimir table with numbers from another tool. Usage: table_as_json.py FILE"""
import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq

table = pq.read_table(sys.argv[1])
columns = {}
for name in table.column_names:
    column = table.column(name)
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.int64())
    columns[name] = column.to_pylist()
rows = [dict(zip(columns, values)) for values in zip(*columns.values())]
print(json.dumps(rows))
