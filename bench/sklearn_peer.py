"""scikit-learn's MLP estimators as a benchmark peer.

They are used as their documentation shows, one epoch per call, starting
from nncore's parameters: a first call initialises an estimator, then its
``coefs_`` and ``intercepts_`` (the same shapes as nncore's) are overwritten
in place.
"""
import warnings

try:
    import sklearn
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor
except ImportError:  # optional peer
    sklearn = None


def sklearn_available():
    if sklearn is None:
        return False, "scikit-learn is not installed (pip install scikit-learn)"
    return True, sklearn.__version__


def digits():
    """scikit-learn's bundled digits: 1797 8x8 images scaled to [0, 1], and their labels."""
    x, y = load_digits(return_X_y=True)
    return x / 16.0, y


def set_params(estimator, coefs, intercepts):
    """Copy the parameters in, keeping the arrays the estimator's optimizer holds."""
    for mine, theirs in zip(estimator.coefs_ + estimator.intercepts_, list(coefs) + list(intercepts)):
        mine[...] = theirs


def quietly(method, *args, **kwargs):
    """Call without ConvergenceWarning: one epoch per call is the point here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return method(*args, **kwargs)


def sgd_regressor(x, y, coefs, intercepts, learning_rate, batch_size):
    """MLPRegressor with plain SGD (no momentum, no L2), tanh hidden layers,
    samples in order; initialised, then given these parameters."""
    hidden = tuple(w.shape[1] for w in coefs[:-1])
    estimator = MLPRegressor(hidden_layer_sizes=hidden, activation="tanh", solver="sgd",
                             batch_size=batch_size, learning_rate="constant",
                             learning_rate_init=learning_rate, momentum=0.0, alpha=0.0,
                             max_iter=1, shuffle=False, random_state=0)
    quietly(estimator.partial_fit, x[:1], y[:1])
    set_params(estimator, coefs, intercepts)
    return estimator


def adam_classifier(x, y, coefs, intercepts, learning_rate, batch_size):
    """MLPClassifier with Adam (no L2), ReLU hidden layers, samples in order;
    initialised by one ``fit``, then given these parameters. With
    ``warm_start``, its next ``fit`` trains one epoch from them with a fresh
    optimizer (as a new nncore MLP or torch.optim.Adam starts);
    ``partial_fit`` continues the optimizer's state."""
    hidden = tuple(w.shape[1] for w in coefs[:-1])
    estimator = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", solver="adam",
                              batch_size=batch_size, learning_rate_init=learning_rate, alpha=0.0,
                              max_iter=1, shuffle=False, warm_start=True, random_state=0)
    quietly(estimator.fit, x, y)
    set_params(estimator, coefs, intercepts)
    return estimator


def coefs_of(estimator):
    return [w.copy() for w in estimator.coefs_]
