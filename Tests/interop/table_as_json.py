"""Prints a Parquet file's rows as a JSON list read by pyarrow (timestamps as epoch microseconds; NaN
as null and infinities as the strings "inf" and "-inf", which JSON has no numbers for), so tests can
compare a Mimir table with numbers from another tool. Usage: table_as_json.py FILE"""
import json
import math
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
def plain(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


rows = [{name: plain(value) for name, value in zip(columns, values)} for values in zip(*columns.values())]
print(json.dumps(rows, allow_nan=False))
