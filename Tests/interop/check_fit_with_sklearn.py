"""Cross-checks mimir-fit and mimir-score against scikit-learn on the same tables.

  check_fit_with_sklearn.py MODEL SCORES EVALUATION FEATURES LABELS [FEATURES LABELS ...]
Per window length, redoes the fit the method prescribes (mimir-method.md, S11 and 6.1) with
scikit-learn: features with a value in some benign training row of the first rate (the Ide-Kashima
score left out), values clipped to +-1e9, RobustScaler fitted on the first rate's benign training rows,
scaled values clipped to +-100, NaN as the median of the scaled benign rows, LassoCV(cv=5) on the
first rate's benign training rows plus every rate's attacked training rows, in time order with
the rates interleaved. Compares features,
centre, scale, alpha and the fitted values (unique even where the coefficients are not) with MODEL; then recomputes ROC AUC and average
precision of every (model, method) from SCORES' test rows and compares them with EVALUATION (kind
"all"). Prints mismatches; exits 1 if any."""
import json
import math
import sys

import numpy as np
import pyarrow.parquet as pq
from sklearn.linear_model import LassoCV
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.preprocessing import RobustScaler

model_path, scores_path, evaluation_path = sys.argv[1:4]
pairs = list(zip(sys.argv[4::2], sys.argv[5::2]))
model = json.load(open(model_path), parse_constant=float)
problems = []
tables = []
for features, labels in pairs:
    f = pq.read_table(features).to_pylist()
    l = {(r["window_len_s"], r["window_index"]): r for r in pq.read_table(labels).to_pylist()}
    tables.append([dict(r, **{k: l[(r["window_len_s"], r["window_index"])][k] for k in ("label", "is_test")}) for r in f])
window_columns = {"window_len_s", "window_index", "window_start", "partial", "label", "is_test"}
for per in model["perLength"]:
    length = per["windowLength"]
    names = [c for c in tables[0][0] if c not in window_columns]
    benign = [r for r in tables[0] if r["window_len_s"] == length and not r["partial"] and not r["is_test"] and not r["label"]]
    # The load model's inputs (bytes per service pair, the load) are not the per-window detector's.
    detector = [c for c in names if c != "ide_kashima_score" and not c.startswith("bytes_") and c != "load_connections_from_outside"]
    kept = [c for c in detector if any(not math.isnan(r[c]) for r in benign)]
    if kept != per["features"]:
        problems.append(f"{length} s: features differ ({len(kept)} expected, {len(per['features'])} in the model)")
        continue
    def raw(rows):
        return np.clip(np.array([[r[c] for c in kept] for r in rows], dtype=float), -1e9, 1e9)
    scaler = RobustScaler().fit(raw(benign))
    if not np.allclose(scaler.center_, per["scaler"]["centers"], rtol=1e-12, atol=1e-12) or not np.allclose(scaler.scale_, per["scaler"]["scales"], rtol=1e-12):
        problems.append(f"{length} s: scaler differs")
    scaled_benign = np.clip(scaler.transform(raw(benign)), -100, 100)
    medians = np.nan_to_num(np.nanmedian(scaled_benign, axis=0), nan=0.0)
    training = [(r["window_index"], 0, r) for r in benign]
    training += [(r["window_index"], i, r) for i, t in enumerate(tables) for r in t
                 if r["window_len_s"] == length and not r["partial"] and not r["is_test"] and r["label"]]
    training = [r for _, _, r in sorted(training, key=lambda item: (item[0], item[1]))]  # time order, rates interleaved
    X = np.clip(scaler.transform(raw(training)), -100, 100)
    X = np.where(np.isnan(X), medians, X)
    y = np.array([1.0 if r["label"] else 0.0 for r in training])
    lasso = LassoCV(cv=5, max_iter=1_000_000, tol=1e-10).fit(X, y)
    if not math.isclose(lasso.alpha_, per["alpha"], rel_tol=1e-9):
        problems.append(f"{length} s: alpha {per['alpha']}, scikit-learn {lasso.alpha_}")
    else:
        # The LASSO fit (X w + b) is unique even where correlated features make w not unique: compare it.
        ours = X @ np.array(per["coefficients"]) + per["intercept"]
        if not np.allclose(ours, lasso.predict(X), atol=1e-4):
            problems.append(f"{length} s: fitted values differ by up to {np.max(np.abs(ours - lasso.predict(X)))}")
scores = [r for r in pq.read_table(scores_path).to_pylist() if r["is_test"]]
evaluation = {(r["model"], r["method"]): r for r in pq.read_table(evaluation_path).to_pylist() if r["kind"] == "all"}
for key, row in evaluation.items():
    subset = [r for r in scores if (r["model"], r["method"]) == key]
    labels = [r["label"] for r in subset]
    values = [-np.inf if r["score"] is None or math.isnan(r["score"]) else r["score"] for r in subset]
    if len(set(labels)) < 2:
        continue
    auc, ap = roc_auc_score(labels, values), average_precision_score(labels, values)
    if not math.isclose(auc, row["roc_auc"], abs_tol=1e-12) or not math.isclose(ap, row["average_precision"], abs_tol=1e-12):
        problems.append(f"{key}: AUC {row['roc_auc']} / AP {row['average_precision']}, scikit-learn {auc} / {ap}")
for p in problems:
    print(p)
print(f"{len(model['perLength'])} window lengths and {len(evaluation)} evaluations checked, {len(problems)} mismatches")
sys.exit(1 if problems else 0)
