"""scikit-learn's answers on a data set, for the tests of Mimir's Learn library.

  sklearn_reference.py DATA.json    DATA: {"X": [[...]], "y": [...], "scores": [...], "labels": [...], "folds": 5}
prints JSON: LassoCV (alpha_, coef_, intercept_, mse_path_ mean), RobustScaler (center_, scale_),
roc_auc_score, average_precision_score and roc_curve (fpr, tpr) of scores against labels."""
import json
import sys

import numpy as np
from sklearn.linear_model import LassoCV
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve
from sklearn.preprocessing import RobustScaler

data = json.load(open(sys.argv[1]))
X, y = np.array(data["X"], dtype=float), np.array(data["y"], dtype=float)
model = LassoCV(cv=data["folds"], max_iter=1_000_000, tol=1e-10).fit(X, y)
scaler = RobustScaler().fit(X)
scores, labels = np.array(data["scores"]), np.array(data["labels"])
fpr, tpr, _ = roc_curve(labels, scores)
print(json.dumps({
    "alpha": model.alpha_, "coef": model.coef_.tolist(), "intercept": float(model.intercept_),
    "mse": model.mse_path_.mean(axis=1).tolist(), "alphas": model.alphas_.tolist(),
    "center": scaler.center_.tolist(), "scale": scaler.scale_.tolist(),
    "auc": roc_auc_score(labels, scores), "ap": average_precision_score(labels, scores),
    "fpr": fpr.tolist(), "tpr": tpr.tolist(),
}))
