"""scikit-learn's L1 logistic regression with cross-validated C on a data set, for the tests of Mimir's
Learn library.

  sklearn_logistic_reference.py DATA.json    DATA: {"X": [[...]], "labels": [...], "folds": 5}
prints JSON: C_, coef_, intercept_ of LogisticRegressionCV(Cs=10, cv=StratifiedKFold(folds), l1_ratios=[1],
solver="saga", scoring="neg_log_loss"), solved to a tight tolerance, and the fold of every row."""
import json
import sys
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold

data = json.load(open(sys.argv[1]))
X, y = np.array(data["X"], dtype=float), np.array(data["labels"], dtype=int)
folds = StratifiedKFold(n_splits=data["folds"])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = LogisticRegressionCV(Cs=10, cv=folds, l1_ratios=[1.0], solver="saga", scoring="neg_log_loss", tol=1e-12,
                                 max_iter=200_000, use_legacy_attributes=False).fit(X, y)
assignment = np.zeros(len(y), dtype=int)
for fold, (_, test) in enumerate(folds.split(X, y)):
    assignment[test] = fold
print(json.dumps({"C": float(np.ravel(model.C_)[0]), "coef": model.coef_.ravel().tolist(), "intercept": float(np.ravel(model.intercept_)[0]),
                  "folds": assignment.tolist()}))
