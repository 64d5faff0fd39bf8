"""scikit-learn's L1 logistic regression with cross-validated C on a data set, for the tests of Mimir's
Learn library.

  sklearn_logistic_reference.py DATA.json    DATA: {"X": [[...]], "labels": [...], "folds": 5}
prints JSON: C_, coef_, intercept_ of LogisticRegressionCV(Cs=10, cv=StratifiedKFold(folds), l1_ratios=[1],
solver="saga", scoring="neg_log_loss"), solved to a tight tolerance, the fold of every row, and the
out-of-fold scores (cross_val_predict) of that C's logistic regression (decision function, stratified
folds) and of Lasso(alpha=DATA["alpha"]) on the 0/1 labels (KFold)."""
import json
import sys
import warnings

import numpy as np
from sklearn.linear_model import Lasso, LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict

data = json.load(open(sys.argv[1]))
X, y = np.array(data["X"], dtype=float), np.array(data["labels"], dtype=int)
folds = StratifiedKFold(n_splits=data["folds"])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = LogisticRegressionCV(Cs=10, cv=folds, l1_ratios=[1.0], solver="saga", scoring="neg_log_loss", tol=1e-12,
                                 max_iter=200_000, use_legacy_attributes=False).fit(X, y)
    c = float(np.ravel(model.C_)[0])
    logistic_oof = cross_val_predict(LogisticRegression(C=c, l1_ratio=1.0, solver="saga", tol=1e-12, max_iter=200_000), X, y, cv=folds,
                                     method="decision_function")
    lasso_oof = cross_val_predict(Lasso(alpha=data["alpha"], tol=1e-12, max_iter=1_000_000), X, y.astype(float), cv=KFold(data["folds"]))
assignment = np.zeros(len(y), dtype=int)
for fold, (_, test) in enumerate(folds.split(X, y)):
    assignment[test] = fold
print(json.dumps({"C": float(np.ravel(model.C_)[0]), "coef": model.coef_.ravel().tolist(), "intercept": float(np.ravel(model.intercept_)[0]),
                  "folds": assignment.tolist(), "logistic_oof": logistic_oof.tolist(), "lasso_oof": lasso_oof.tolist()}))
