"""Compares two features tables read with pyarrow: the same columns and windows, every value equal
within an absolute and relative tolerance, NaN exactly where the other has NaN. Prints the
differences and a count of the values that are not NaN per column group.

Usage: compare_features.py A.parquet B.parquet TOLERANCE"""
import math
import sys

import pyarrow.parquet as pq


def rows(path):
    table = pq.read_table(path).to_pylist()
    return {(row["window_len_s"], row["window_index"]): row for row in table}, pq.read_table(path).column_names


def main(first, second, tolerance):
    a, columns_a = rows(first)
    b, columns_b = rows(second)
    problems = []
    if columns_a != columns_b:
        problems.append(f"columns differ: {sorted(set(columns_a) ^ set(columns_b))}")
    if set(a) != set(b):
        problems.append(f"windows differ: {len(set(a) ^ set(b))}")
    values = 0
    for key in sorted(set(a) & set(b)):
        for column in columns_a:
            x, y = a[key].get(column), b[key].get(column)
            if isinstance(x, float) or isinstance(y, float):
                if x is None or y is None or math.isnan(x) != math.isnan(y):
                    problems.append(f"{key} {column}: {x} vs {y}")
                elif not math.isnan(x):
                    values += 1
                    if abs(x - y) > tolerance * max(1.0, abs(x), abs(y)):
                        problems.append(f"{key} {column}: {x} vs {y}")
            elif x != y:
                problems.append(f"{key} {column}: {x} vs {y}")
    for problem in problems[:20]:
        print(problem)
    print(f"{len(a)} windows, {values} values compared, {len(problems)} differences")
    return 1 if problems or not values else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
