"""Scale-out: a grid search over nncore estimators on a Dask cluster whose
workers are separate processes gives the serial run's scores."""
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
distributed = pytest.importorskip("distributed")
import joblib  # noqa: E402  (a scikit-learn dependency)
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

import nncore  # noqa: E402

GRID = {"hidden_layer_sizes": [(8,), (16,)], "alpha": [1e-4, 1e-2]}


def grid_search():
    X, y = load_digits(return_X_y=True)
    estimator = nncore.MLPClassifier(max_iter=15, batch_size=64, learning_rate_init=0.01,
                                     random_state=0)
    return GridSearchCV(estimator, GRID, cv=3), X[:600] / 16, y[:600]


def test_grid_search_on_a_dask_cluster_matches_the_serial_run():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search, X, y = grid_search()
        serial = search.fit(X, y).cv_results_["mean_test_score"]
        # Worker processes on loopback: the estimators travel pickled, as
        # they would to other machines.
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            search, X, y = grid_search()
            with joblib.parallel_config(backend="dask"):
                distributed_scores = search.fit(X, y).cv_results_["mean_test_score"]
    np.testing.assert_array_equal(distributed_scores, serial)
    assert search.best_score_ > 0.8
