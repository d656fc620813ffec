"""Regression with nncore.MLP: a validation set and early stopping that
restores the best epoch's parameters.

    python examples/regression_early_stopping.py [--smoke]
"""
import argparse

import numpy as np

import nncore


def main(argv: "list[str] | None" = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="fewer samples and epochs")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    n_samples = 200 if args.smoke else 2000
    X = rng.uniform(-2, 2, size=(n_samples, 2))
    y = np.sin(X[:, :1]) * np.cos(X[:, 1:]) + 0.05 * rng.standard_normal((n_samples, 1))
    split = n_samples * 4 // 5

    model = nncore.MLP([2, 32, 32, 1], activation="tanh", random_state=0)
    history = model.fit(X[:split], y[:split], epochs=20 if args.smoke else 500, batch_size=32,
                        optimizer="adam", learning_rate=0.01,
                        validation_data=(X[split:], y[split:]),
                        early_stopping=nncore.EarlyStopping(patience=20, restore_best=True))
    print(f"{history.epochs} epochs (best {history.best_epoch}), "
          f"validation R^2 {model.score(X[split:], y[split:]):.3f}")


if __name__ == "__main__":
    main()
