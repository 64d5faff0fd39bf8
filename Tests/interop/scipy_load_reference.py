"""The load residuals' expectation for one service pair, by numpy and scipy, for the tests of Mimir's
Learn library.

  scipy_load_reference.py DATA.json    DATA: {"load": [...], "bytes": [...]}
prints JSON: base and per_load, the non-negative least squares of bytes on [1, load] (scipy's nnls),
refitted once without the windows whose log residual, log1p(bytes) - log1p(base + per_load x load),
lies more than three robust spreads (1.4826 x the median absolute deviation, at least 0.05) from the
median; offset, the final log residuals' median; spread, the larger of their robust spread and their
99th percentile's distance from the median over 2.326, at least 0.05."""
import json
import sys

import numpy as np
from scipy.optimize import nnls

data = json.load(open(sys.argv[1]))
x, y = np.array(data["load"], dtype=float), np.array(data["bytes"], dtype=float)
floor = 0.05


def fit(rows):
    (base, per_load), _ = nnls(np.column_stack([np.ones(len(rows)), x[rows]]), y[rows])
    return base, per_load


def residuals(base, per_load):
    return np.log1p(y) - np.log1p(base + per_load * x)


def robust(values):
    return max(1.4826 * np.median(np.abs(values - np.median(values))), floor)


base, per_load = fit(np.arange(len(x)))
first = residuals(base, per_load)
kept = np.flatnonzero(np.abs(first - np.median(first)) <= 3 * robust(first))
if len(kept) >= 10:
    base, per_load = fit(kept)
final = residuals(base, per_load)
offset = float(np.median(final))
spread = max(robust(final), (np.percentile(final, 99) - offset) / 2.326, floor)
print(json.dumps({"base": float(base), "per_load": float(per_load), "offset": offset, "spread": float(spread), "kept": len(kept)}))
