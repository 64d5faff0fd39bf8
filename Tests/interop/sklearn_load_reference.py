"""The load residuals' line for one service pair, by numpy and scikit-learn, for the tests of Mimir's
Learn library.

  sklearn_load_reference.py DATA.json    DATA: {"load": [...], "bytes": [...], "prior": P}
prints JSON: intercept, slope and spread of the line of log1p(bytes) in log1p(load), least squares with
the slope drawn towards 1 (Ridge(alpha=P * n) on log1p(bytes) - log1p(load), whose coefficient is the
slope minus 1), refitted once without the windows more than three robust spreads off the first line;
the intercept moved to the residuals' median, the spread the larger of 1.4826 times their median
absolute deviation and their 99th percentile's distance from the median over 2.326, at least 0.05."""
import json
import sys

import numpy as np
from sklearn.linear_model import Ridge

data = json.load(open(sys.argv[1]))
x, y = np.log1p(np.array(data["load"], dtype=float)), np.log1p(np.array(data["bytes"], dtype=float))
floor = 0.05


def line(rows):
    model = Ridge(alpha=data["prior"] * len(rows)).fit(x[rows, None], y[rows] - x[rows])
    return float(model.intercept_), float(model.coef_[0]) + 1


def mad_scale(values):
    return max(1.4826 * np.median(np.abs(values - np.median(values))), floor)


intercept, slope = line(np.arange(len(x)))
first = y - intercept - slope * x
kept = np.flatnonzero(np.abs(first - np.median(first)) <= 3 * mad_scale(first))
if len(kept) >= 10:
    intercept, slope = line(kept)
final = y - intercept - slope * x
middle = float(np.median(final))
spread = max(mad_scale(final), (np.percentile(final, 99) - middle) / 2.326, floor)
print(json.dumps({"intercept": intercept + middle, "slope": slope, "spread": float(spread), "kept": len(kept)}))
