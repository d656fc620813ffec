"""A grid search over nncore estimators, spread over a Dask cluster.

    python examples/dask_grid_search.py [--smoke] [--scheduler tcp://host:8786]

Without --scheduler it starts a local cluster of worker processes. Needs
scikit-learn and dask (``pip install "nncore-cython[sklearn,dask]"``).
"""
import argparse
import warnings

import joblib
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

import nncore


def main(argv: "list[str] | None" = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a small grid on part of the data")
    parser.add_argument("--scheduler", help="a running scheduler's address; default: a local cluster")
    args = parser.parse_args(argv)

    if args.smoke:  # a few epochs, on purpose: no convergence to warn about
        warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    if args.smoke:
        X, y = X[:300], y[:300]
    grid = {"hidden_layer_sizes": [(16,), (64,)], "alpha": [1e-4, 1e-2]}
    search = GridSearchCV(nncore.MLPClassifier(max_iter=5 if args.smoke else 100,
                                               early_stopping=not args.smoke, random_state=0),
                          grid, cv=3)
    # distributed's constructors carry no annotations (hence the ignores).
    cluster = None if args.scheduler else LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, dashboard_address=None)
    with Client(args.scheduler or cluster) as client:  # type: ignore[no-untyped-call]
        print("workers:", len(client.scheduler_info()["workers"]))
        with joblib.parallel_config(backend="dask"):
            search.fit(X / 16, y)
    if cluster is not None:
        cluster.close()
    print("best:", search.best_params_, f"cross-validated accuracy {search.best_score_:.3f}")


if __name__ == "__main__":
    main()
