"""nncore.MLPClassifier and nncore.MLPRegressor keep scikit-learn's estimator
contract: its own estimator checks, parameters that clone and round-trip,
pickles and deep copies that continue bit for bit, model selection in
parallel, and the fitted attributes, outputs and dtypes of scikit-learn's
MLP estimators fitted the same way."""
import copy
import pickle
import threading

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.neural_network import MLPClassifier as SklearnClassifier  # noqa: E402
from sklearn.neural_network import MLPRegressor as SklearnRegressor  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

import nncore  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PAIRS = [(nncore.MLPClassifier, SklearnClassifier), (nncore.MLPRegressor, SklearnRegressor)]
PAIR_IDS = ["classifier", "regressor"]
SOLVERS = ["sgd", "adam", "lbfgs"]
STOCHASTIC = ["sgd", "adam"]
DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
SMALL = {"hidden_layer_sizes": (5, 4), "max_iter": 15, "random_state": 0}


def features(n_samples=60, n_features=4, seed=0, dtype=np.float64):
    return np.random.RandomState(seed).standard_normal((n_samples, n_features)).astype(dtype)


def targets(kind, X, seed=1):
    """y for X: "binary", "multiclass" (string labels), "multilabel" (an
    indicator matrix), "regression" (1-D) or "multioutput" (two columns)."""
    rng = np.random.RandomState(seed)
    noisy = X[:, :3] + 0.3 * rng.standard_normal((X.shape[0], 3))
    if kind == "binary":
        return (noisy[:, 0] + noisy[:, 1] > 0).astype(int)
    if kind == "multiclass":
        return np.array(["ant", "bee", "cat"])[np.argmax(noisy, axis=1)]
    if kind == "multilabel":
        return (noisy > 0).astype(int)
    if kind == "regression":
        return noisy.sum(axis=1)
    if kind == "multioutput":
        return noisy[:, :2].astype(np.float64)
    raise AssertionError(kind)


def problem(kind, dtype=np.float64):
    X = features(dtype=dtype)
    return X, targets(kind, X)


def estimator_for(kind, **params):
    """An nncore estimator and a scikit-learn one with the same parameters."""
    ours, theirs = PAIRS[0] if kind in ("binary", "multiclass", "multilabel") else PAIRS[1]
    return ours(**params), theirs(**params)


def fitted_pair(kind, dtype=np.float64, **params):
    """X, and an nncore estimator and a scikit-learn one fitted on the same
    problem with the same parameters."""
    X, y = problem(kind, dtype)
    ours, theirs = estimator_for(kind, **SMALL, **params)
    return X, ours.fit(X, y), theirs.fit(X, y)


def public_attributes(estimator):
    """The fitted attributes scikit-learn lists: public names ending in "_"."""
    names = {k for k in vars(estimator) if k.endswith("_") and not k.startswith("_")}
    return names | {"coefs_", "intercepts_"}


def assert_same_bits(a, b):
    """Two fitted estimators hold the same state, bit for bit."""
    assert public_attributes(a) == public_attributes(b)
    for name in sorted(public_attributes(a)):
        x, y = getattr(a, name), getattr(b, name)
        if name in ("coefs_", "intercepts_"):
            assert len(x) == len(y)
            for u, v in zip(x, y):
                np.testing.assert_array_equal(u, v, strict=True)
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, strict=True)
        else:
            assert type(x) is type(y) and x == y or (x != x and y != y), name


def outputs(estimator, X):
    """predict, and predict_proba and predict_log_proba where the estimator has
    them (the log of a saturated probability is -inf, as in scikit-learn)."""
    methods = [m for m in ("predict", "predict_proba", "predict_log_proba")
               if hasattr(estimator, m)]
    with np.errstate(divide="ignore"):
        return {m: getattr(estimator, m)(X) for m in methods}


def assert_same_outputs(a, b, X):
    mine, reference = outputs(a, X), outputs(b, X)
    assert mine.keys() == reference.keys()
    for method in mine:
        np.testing.assert_array_equal(mine[method], reference[method], strict=True)


# --- scikit-learn's estimator checks ------------------------------------------------------

# Checks that may skip whatever the estimator does: the array API ones need
# SCIPY_ARRAY_API and an array library; the decision_function one applies
# only to estimators that have that method (scikit-learn's MLP has none).
ENVIRONMENTAL_SKIPS = ("check_array_api_input",
                       "check_classifiers_multilabel_output_format_decision_function")


@pytest.mark.parametrize("estimator", [nncore.MLPClassifier(), nncore.MLPRegressor(),
                                       nncore.MLPClassifier(dropout=0.2),
                                       nncore.MLPRegressor(dropout=0.2)],
                         ids=PAIR_IDS + [name + "-dropout" for name in PAIR_IDS])
def test_check_estimator(estimator):
    pytest.importorskip("pandas")  # some checks skip without it
    # With dropout, each row of a batch draws its own masks, so a row given
    # twice is not a row of weight 2: those two checks must fail, and only they.
    expected = {f"check_sample_weight_equivalence_on_{kind}_data": "dropout masks per row"
                for kind in ("dense", "sparse") if estimator.dropout}
    results = check_estimator(estimator, on_skip=None, on_fail=None,
                              expected_failed_checks=expected)
    assert len(results) > 50
    failed = [(r["check_name"], r["exception"]) for r in results
              if r["status"] not in ("passed", "skipped", "xfail")]
    assert failed == []
    assert sorted(r["check_name"] for r in results if r["status"] == "xfail") == sorted(expected)
    skipped = [(r["check_name"], str(r["exception"])) for r in results
               if r["status"] == "skipped"]
    assert [name for name, _ in skipped if not name.startswith(ENVIRONMENTAL_SKIPS)] == [], skipped


# --- parameters ----------------------------------------------------------------------------

# Parameters scikit-learn's MLPs do not have, and their defaults, which
# leave the results scikit-learn's.
NNCORE_ONLY = {"MLPClassifier": {"class_weight": None, "deterministic": False, "dropout": 0.0},
               "MLPRegressor": {"deterministic": False, "dropout": 0.0}}


def sklearn_params(ours, params):
    return {name: value for name, value in params.items() if name not in NNCORE_ONLY[ours.__name__]}


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=PAIR_IDS)
def test_get_params_are_sklearns(ours, theirs):
    mine, reference = ours().get_params(), theirs().get_params()
    assert {name: mine[name] for name in NNCORE_ONLY[ours.__name__]} == NNCORE_ONLY[ours.__name__]
    mine = sklearn_params(ours, mine)
    assert mine.keys() == reference.keys()
    for name, value in reference.items():
        assert type(mine[name]) is type(value) and mine[name] == value, name


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=PAIR_IDS)
def test_set_params_get_params_round_trip(ours, theirs):
    changed = {"hidden_layer_sizes": (7, 3), "activation": "tanh", "solver": "sgd",
               "alpha": 0.5, "batch_size": 16, "learning_rate": "adaptive",
               "learning_rate_init": 0.02, "power_t": 0.25, "max_iter": 7, "shuffle": False,
               "random_state": 3, "tol": 1e-3, "verbose": False, "warm_start": True,
               "momentum": 0.5, "nesterovs_momentum": False, "early_stopping": True,
               "validation_fraction": 0.2, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6,
               "n_iter_no_change": 4, "max_fun": 100, "deterministic": True}
    estimator = ours()
    assert estimator.set_params(**changed) is estimator
    params = estimator.get_params()
    assert {name: params[name] for name in changed} == changed
    assert ours(**params).get_params() == params
    assert theirs(**sklearn_params(ours, params)).get_params() == sklearn_params(ours, params)


@pytest.mark.parametrize("kind", ["multiclass", "regression"])
def test_clone_is_unfitted_with_the_same_params(kind):
    X, y = problem(kind)
    estimator, _ = estimator_for(kind, **SMALL)
    estimator.fit(X, y)
    twin = clone(estimator)
    assert twin is not estimator
    assert twin.get_params() == estimator.get_params()
    assert not hasattr(twin, "n_iter_") and not hasattr(twin, "coefs_")
    assert_same_bits(twin.fit(X, y), estimator)


# --- pickling and copying ---------------------------------------------------------------

@pytest.mark.parametrize("kind", ["multiclass", "regression"])
@pytest.mark.parametrize("solver", SOLVERS)
@DTYPES
def test_pickle_round_trip_is_bit_exact_and_trains_on(kind, solver, dtype):
    X, y = problem(kind, dtype)
    estimator, _ = estimator_for(kind, solver=solver, **SMALL)
    estimator.fit(X, y)
    restored = pickle.loads(pickle.dumps(estimator))
    assert_same_bits(restored, estimator)
    assert_same_outputs(restored, estimator, X)
    for u, v in zip(restored.coefs_, estimator.coefs_):
        assert not np.shares_memory(u, v)

    # Training on from the restored state goes exactly as it would have:
    # the optimizer's moments and schedule travel with the pickle.
    if solver in STOCHASTIC:
        for _ in range(3):
            restored.partial_fit(X, y)
            estimator.partial_fit(X, y)
    else:
        restored.set_params(warm_start=True).fit(X, y)
        estimator.set_params(warm_start=True).fit(X, y)
    assert_same_bits(restored, estimator)
    assert_same_outputs(restored, estimator, X)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_deepcopy_is_independent(solver):
    X, y = problem("multiclass")
    estimator = nncore.MLPClassifier(solver=solver, **SMALL).fit(X, y)
    before = pickle.loads(pickle.dumps(estimator))
    twin = copy.deepcopy(estimator)
    assert_same_bits(twin, estimator)
    for u, v in zip(list(twin.coefs_) + list(twin.intercepts_),
                    list(estimator.coefs_) + list(estimator.intercepts_)):
        assert not np.shares_memory(u, v)

    twin.partial_fit(X, y)
    assert_same_bits(estimator, before)  # training the copy leaves the original
    estimator.partial_fit(X, y)
    assert_same_bits(twin, estimator)  # and the original trains on as the copy did


# --- model selection -------------------------------------------------------------------------

def test_grid_search_in_parallel_matches_sequential():
    X, y = problem("multiclass")
    grid = {"alpha": [1e-4, 1.0], "hidden_layer_sizes": [(6,)]}
    scores = []
    for n_jobs in (1, 2):
        search = GridSearchCV(nncore.MLPClassifier(max_iter=20, random_state=0), grid, cv=3,
                              n_jobs=n_jobs)
        search.fit(X, y)
        scores.append(search.cv_results_["mean_test_score"])
        assert search.best_estimator_.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(scores[0], scores[1])


# --- fitted attributes, outputs and dtypes, against scikit-learn's ----------------------

ATTRIBUTE_CASES = [(kind, solver, False) for kind in
                   ("binary", "multiclass", "multilabel", "regression", "multioutput")
                   for solver in SOLVERS]
ATTRIBUTE_CASES += [("multiclass", "adam", True), ("regression", "sgd", True)]


@pytest.mark.parametrize("kind, solver, early_stopping", ATTRIBUTE_CASES,
                         ids=["-".join(map(str, case)) for case in ATTRIBUTE_CASES])
def test_fitted_attributes_are_sklearns(kind, solver, early_stopping):
    _, ours, theirs = fitted_pair(kind, solver=solver, early_stopping=early_stopping)

    assert public_attributes(ours) == public_attributes(theirs)
    assert len(ours.coefs_) == len(theirs.coefs_) == ours.n_layers_ - 1
    assert len(ours.intercepts_) == len(theirs.intercepts_) == ours.n_layers_ - 1
    for mine, reference in zip([*ours.coefs_, *ours.intercepts_],
                               [*theirs.coefs_, *theirs.intercepts_]):
        assert type(mine) is np.ndarray
        assert mine.shape == reference.shape and mine.dtype == reference.dtype
    for name in ("n_layers_", "n_outputs_", "out_activation_", "t_", "n_iter_",
                 "n_features_in_"):
        assert type(getattr(ours, name)) is type(getattr(theirs, name)), name
        assert getattr(ours, name) == getattr(theirs, name), name
    if hasattr(theirs, "classes_"):
        np.testing.assert_array_equal(ours.classes_, theirs.classes_, strict=True)
    assert isinstance(ours.loss_, float)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)

    if solver in STOCHASTIC:
        assert type(ours.loss_curve_) is list and len(ours.loss_curve_) == ours.n_iter_
        assert all(isinstance(loss, float) for loss in ours.loss_curve_)
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-6)
        for name in ("validation_scores_", "best_validation_score_", "best_loss_"):
            mine, reference = getattr(ours, name), getattr(theirs, name)
            assert (mine is None) == (reference is None), name
        if early_stopping:
            assert type(ours.validation_scores_) is list
            assert len(ours.validation_scores_) == ours.n_iter_
            np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_,
                                       rtol=1e-6)
            assert ours.best_validation_score_ == pytest.approx(
                theirs.best_validation_score_, rel=1e-6)
        else:
            assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-6)


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_coefs_and_intercepts_are_lists_as_in_sklearn(kind):
    _, ours, theirs = fitted_pair(kind)
    # scikit-learn's own code and its users concatenate the two lists, as in
    # its _fit_stochastic: params = self.coefs_ + self.intercepts_
    params = ours.coefs_ + ours.intercepts_
    assert len(params) == len(theirs.coefs_ + theirs.intercepts_)
    assert [p.shape for p in params] == [p.shape for p in theirs.coefs_ + theirs.intercepts_]
    assert isinstance(ours.coefs_, list) and isinstance(ours.intercepts_, list)


OUTPUT_CASES = ["binary", "multiclass", "multilabel", "regression", "multioutput"]


@pytest.mark.parametrize("kind", OUTPUT_CASES)
@pytest.mark.parametrize("solver", SOLVERS)
@DTYPES
def test_outputs_have_sklearns_shapes_and_dtypes(kind, solver, dtype):
    X, ours, theirs = fitted_pair(kind, dtype, solver=solver)
    for mine, reference in zip([*ours.coefs_, *ours.intercepts_],
                               [*theirs.coefs_, *theirs.intercepts_]):
        assert mine.dtype == reference.dtype
    # float32 data keeps float32 parameters for the stochastic solvers, as in
    # scikit-learn; L-BFGS works in float64.
    expected = np.float64 if solver == "lbfgs" else dtype
    assert ours.coefs_[0].dtype == expected
    mine, reference = outputs(ours, X), outputs(theirs, X)
    assert mine.keys() == reference.keys()
    for method in mine:
        assert type(mine[method]) is np.ndarray
        assert mine[method].shape == reference[method].shape, method
        assert mine[method].dtype == reference[method].dtype, method
    if "predict_proba" in mine:
        assert mine["predict_proba"].dtype == expected
        np.testing.assert_allclose(np.exp(mine["predict_log_proba"]), mine["predict_proba"],
                                   rtol=1e-5)
    if kind in ("binary", "multiclass"):
        np.testing.assert_allclose(mine["predict_proba"].sum(axis=1), 1, rtol=1e-5)
        assert set(mine["predict"]) <= set(ours.classes_)


def test_outputs_are_fresh_arrays():
    X, y = problem("multiclass")
    estimator = nncore.MLPClassifier(**SMALL).fit(X, y)
    first = estimator.predict_proba(X)
    kept = first.copy()
    estimator.predict_log_proba(X[::-1])
    estimator.predict_proba(X[::-1])
    np.testing.assert_array_equal(first, kept)


def test_dataframe_sets_feature_names_as_sklearn():
    pd = pytest.importorskip("pandas")
    X, y = problem("binary")
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    renamed = frame.rename(columns={"a": "z"})
    ours, theirs = estimator_for("binary", **SMALL)
    ours.fit(frame, y)
    theirs.fit(frame, y)
    np.testing.assert_array_equal(ours.feature_names_in_, theirs.feature_names_in_,
                                  strict=True)
    plain_twin = nncore.MLPClassifier(**SMALL).fit(X, y)
    np.testing.assert_array_equal(ours.predict(frame), plain_twin.predict(X), strict=True)

    with pytest.raises(ValueError, match="feature names should match") as mine:
        ours.predict(renamed)
    with pytest.raises(ValueError) as reference:
        theirs.predict(renamed)
    assert str(mine.value) == str(reference.value)
    with pytest.warns(UserWarning, match="X does not have valid feature names, but "
                                         "MLPClassifier was fitted with feature names"):
        ours.predict_proba(X)

    plain = nncore.MLPRegressor(**SMALL).fit(X, y.astype(float))
    assert not hasattr(plain, "feature_names_in_")
    with pytest.warns(UserWarning, match="X has feature names, but MLPRegressor was fitted "
                                         "without feature names"):
        plain.predict(frame)


# --- partial_fit of the classifier -------------------------------------------------------

def test_classifier_partial_fit_needs_classes_first():
    X, y = problem("multiclass")
    estimator = nncore.MLPClassifier(**SMALL)
    with pytest.raises(ValueError, match="classes must be passed on the first call to "
                                         "partial_fit"):
        estimator.partial_fit(X, y)
    estimator.partial_fit(X[:20], y[:20], classes=["ant", "bee", "cat", "dog"])
    np.testing.assert_array_equal(estimator.classes_, ["ant", "bee", "cat", "dog"])
    assert estimator.predict_proba(X).shape == (X.shape[0], 4)
    estimator.partial_fit(X[20:], y[20:])
    assert estimator.n_iter_ == 1 and estimator.t_ == X.shape[0]
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        estimator.partial_fit(X[:3], ["ant", "bee", "eel"])


def test_multilabel_partial_fit():
    X, y = problem("multilabel")
    estimator = nncore.MLPClassifier(**SMALL)
    # scikit-learn asks for classes on the first call for indicator targets too
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        estimator.partial_fit(X, y)
    estimator.partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_array_equal(estimator.classes_, [0, 1, 2])
    assert estimator.predict(X).shape == y.shape


@pytest.mark.parametrize("estimator_class", [nncore.MLPClassifier, nncore.MLPRegressor],
                         ids=PAIR_IDS)
def test_partial_fit_only_for_stochastic_solvers(estimator_class):
    # As scikit-learn's classifier; its regressor offers partial_fit with
    # lbfgs and then fails inside it, so nncore's hides it there too.
    assert hasattr(SklearnClassifier(solver="lbfgs"), "partial_fit") is False
    for solver in SOLVERS:
        assert hasattr(estimator_class(solver=solver), "partial_fit") is (solver != "lbfgs")


# --- threads ----------------------------------------------------------------------------------

@pytest.mark.parametrize("solver", SOLVERS)
def test_fits_in_two_threads_match_sequential_fits(solver):
    data = [problem("multiclass"), problem("regression")]
    params = dict(SMALL, solver=solver, max_iter=40)

    def make():
        return [nncore.MLPClassifier(**params), nncore.MLPRegressor(**params)]

    sequential = make()
    for estimator, (X, y) in zip(sequential, data):
        estimator.fit(X, y)

    threaded = make()
    errors = []

    def fit(estimator, X, y):
        try:
            estimator.fit(X, y)
        except Exception as exc:  # reported below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=fit, args=(estimator, X, y))
               for estimator, (X, y) in zip(threaded, data)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for a, b, (X, _) in zip(threaded, sequential, data):
        assert_same_bits(a, b)
        assert_same_outputs(a, b, X)


@pytest.mark.parametrize("labels, fit_on", [
    (np.array([3, 1, 3, 3]), None),                      # binary ints
    (np.array(["b", "a", "b"]), None),                   # binary strings
    (np.array([7, 7, 7]), None),                         # one class
    (np.array([2, 0, 1, 2, 5]), None),                   # multiclass
    (np.array(["x", "z", "y"]), None),
    (np.array([1, 1, 0]), np.array([0, 1, 2])),          # fewer labels than classes
    (np.array([0.0, 1.0, 1.0]), None),                   # integral floats
    (np.array([[1, 0], [0, 1], [1, 1]]), None),          # multilabel
])
def test_targets_are_scikit_learns_label_binarization(labels, fit_on):
    from sklearn.preprocessing import LabelBinarizer

    from nncore.sklearn import _binarize
    binarizer = LabelBinarizer().fit(labels if fit_on is None else fit_on)
    expected = binarizer.transform(labels).astype(bool)
    got = _binarize(binarizer, labels)
    assert got.dtype == bool
    np.testing.assert_array_equal(got, expected)
