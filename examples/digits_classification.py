"""Digits with nncore.MLPClassifier, and a plot of the loss per epoch.

    python examples/digits_classification.py [--smoke] [--plot digits-loss.png]

Needs scikit-learn (``pip install "nncore-cython[sklearn]"``) and, for the
plot, matplotlib.
"""
import argparse
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

import nncore


def main(argv: "list[str] | None" = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few epochs on part of the data")
    parser.add_argument("--plot", help="write the loss curve to this PNG")
    args = parser.parse_args(argv)

    if args.smoke:  # a few epochs, on purpose: no convergence to warn about
        warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    if args.smoke:
        X, y = X[:300], y[:300]
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    clf = nncore.MLPClassifier(hidden_layer_sizes=(64,), batch_size=32, early_stopping=True,
                               max_iter=5 if args.smoke else 200, random_state=0)
    clf.fit(X_train, y_train)
    print(f"{clf.n_iter_} epochs, test accuracy {clf.score(X_test, y_test):.3f}")

    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(figsize=(6, 4))
        axes.plot(range(1, len(clf.loss_curve_) + 1), clf.loss_curve_, label="training loss")
        axes.set_xlabel("epoch")
        axes.set_ylabel("cross-entropy")
        axes.legend()
        figure.savefig(args.plot, dpi=100)
        print("wrote", args.plot)


if __name__ == "__main__":
    main()
