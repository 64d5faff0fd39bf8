"""The expected-content manifest shared by the Swift tests and these scripts.

A manifest (NAME.expected.json beside NAME.parquet) lists columns in order:
  {"columns": [{"name": ..., "type": "bool|int32|int64|double|string|binary|timestamp",
                "nullable": true|false|null, "sort_key": bool, "values": [...]}],
   "metadata": {"key": "value", ...},            # optional: key_value_metadata that must be present
   "expect_error": "TEXT"}                         # optional: our reader must refuse the file naming TEXT
Every value is a string or null, so nothing is lost to JSON numbers: integers and timestamps
(microseconds since the epoch) in decimal, doubles in repr form ("nan", "-inf", "-0.0", "1e-07"),
binary in hex, bools as "true"/"false".
"""
import math


def encode(type_name, value):
    if value is None:
        return None
    if type_name == "bool":
        return "true" if value else "false"
    if type_name in ("int32", "int64", "timestamp"):
        return str(int(value))
    if type_name == "double":
        return repr(float(value))
    if type_name == "string":
        return value
    if type_name == "binary":
        return bytes(value).hex()
    raise ValueError(type_name)


def decode(type_name, text):
    if text is None:
        return None
    if type_name == "bool":
        return text == "true"
    if type_name in ("int32", "int64", "timestamp"):
        return int(text)
    if type_name == "double":
        return float(text)
    if type_name == "string":
        return text
    if type_name == "binary":
        return bytes.fromhex(text)
    raise ValueError(type_name)


def same(type_name, a, b):
    """Equal values; doubles bit for bit (-0.0 is not 0.0) except that any NaN equals any NaN."""
    if a is None or b is None:
        return a is None and b is None
    if type_name == "double":
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b
