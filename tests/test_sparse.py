"""Sparse X: SciPy sparse matrices and arrays, read by the engine as CSR rows.

Every sparse result is compared with the same call on X.toarray(): the
stored values are summed in the dense loops' order with the zeros left out,
so the two agree to rounding (rtol 1e-12 in float64). The estimators are
compared with scikit-learn's on the same sparse data.
"""
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import nncore

RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 2e-5}
N_SAMPLES, N_FEATURES, N_OUTPUTS = 61, 40, 3


def sparse_data(seed=0, density=0.1, n_samples=N_SAMPLES, n_features=N_FEATURES):
    rng = np.random.default_rng(seed)
    X = sp.random(n_samples, n_features, density=density, format="csr", random_state=seed,
                  data_rvs=lambda n: rng.normal(size=n))
    X.data[X.indptr[0]:X.indptr[1]] = 0  # an empty row
    X.eliminate_zeros()
    labels = rng.integers(0, N_OUTPUTS, n_samples)
    return X, np.eye(N_OUTPUTS)[labels], labels


def classifier(dtype, **options):
    return nncore.MLP([N_FEATURES, 8, 6, N_OUTPUTS], activation="tanh",
                      output_activation="softmax", loss="cross_entropy", random_state=3,
                      dtype=dtype, **options)


def assert_close(actual, expected, dtype):
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=RTOL[np.dtype(dtype)] * scale)


@pytest.mark.parametrize("batch_size", [1, 5, 20, N_SAMPLES])
@pytest.mark.parametrize("optimizer", ["sgd", "adam", nncore.SGD(0.05, momentum=0.9, nesterov=True)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_fit_matches_dense(dtype, batch_size, optimizer, shuffle):
    # 61 rows in batches of 5 and 20 end in a single row: the fused per-sample step.
    X, Y, _ = sparse_data()
    weights = np.random.default_rng(1).uniform(0.5, 2, N_SAMPLES)
    sparse_model, dense_model = classifier(dtype), classifier(dtype)
    options = dict(epochs=3, batch_size=batch_size, optimizer=optimizer, shuffle=shuffle,
                   random_state=4, sample_weight=weights, l2=0.01)
    sparse_history = sparse_model.fit(X, Y, **options)
    dense_history = dense_model.fit(X.toarray(), Y, **options)
    assert np.any(sparse_model.params_ != classifier(dtype).params_)  # it trained
    assert_close(sparse_model.params_, dense_model.params_, dtype)
    np.testing.assert_allclose(sparse_history.loss, dense_history.loss, rtol=RTOL[np.dtype(dtype)])


@pytest.mark.parametrize("to_format", [sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array,
                                       sp.csc_array, sp.lil_array])
def test_every_format_and_call(dtype, to_format):
    X, Y, _ = sparse_data()
    model = classifier(dtype)
    model.fit(X, Y, epochs=2, batch_size=10, random_state=0)
    sparse, dense = to_format(X), X.toarray()
    assert_close(model.predict(sparse), model.predict(dense), dtype)
    assert model.loss(sparse, Y) == pytest.approx(model.loss(dense, Y), rel=RTOL[np.dtype(dtype)])
    assert model.score(sparse, Y) == model.score(dense, Y)
    sparse_gradients, dense_gradients = model.gradients(sparse, Y, l2=0.1), model.gradients(dense, Y, l2=0.1)
    assert sparse_gradients.loss == pytest.approx(dense_gradients.loss, rel=RTOL[np.dtype(dtype)])
    for sparse_part, dense_part in zip(sparse_gradients.coefs + sparse_gradients.intercepts,
                                       dense_gradients.coefs + dense_gradients.intercepts):
        assert np.any(dense_part != 0)
        assert_close(sparse_part, dense_part, dtype)


def test_gradients_match_finite_differences():
    X, Y, _ = sparse_data(n_samples=12)
    model = nncore.MLP([N_FEATURES, 5, N_OUTPUTS], activation="tanh", output_activation="softmax",
                       loss="cross_entropy", random_state=0)
    analytic = model.gradients(X, Y, l2=0.1).coefs[0]
    step = 1e-6
    for i, j in [(int(X.indices[0]), 0), (int(X.indices[-1]), 4), (0, 2)]:
        weights = model.coefs_[0]
        weights[i, j] += step
        above = model.loss(X, Y, l2=0.1)
        weights[i, j] -= 2 * step
        below = model.loss(X, Y, l2=0.1)
        weights[i, j] += step
        assert analytic[i, j] == pytest.approx((above - below) / (2 * step), rel=1e-6, abs=1e-9)


def test_predict_rows_beyond_one_chunk():
    # More rows than predict works on at once, and a one-sample predict.
    X, _, _ = sparse_data(n_samples=20_000, density=0.02)
    model = classifier(np.float64)
    np.testing.assert_allclose(model.predict(X), model.predict(X.toarray()), rtol=1e-12)
    out = np.empty((1, N_OUTPUTS))
    assert model.predict(X[5], out=out) is out
    np.testing.assert_allclose(out, model.predict(X[5].toarray()), rtol=1e-12)


def test_unsorted_indices_duplicates_and_index_types():
    # scipy reads duplicates as their sum; int64 indices and int/bool data are accepted.
    data = np.array([1.0, 2.0, -1.5, 0.5, 3.0])
    indices = np.array([7, 2, 7, 30, 0])
    indptr = np.array([0, 3, 3, 5])
    messy = sp.csr_matrix((data, indices, indptr), shape=(3, N_FEATURES))
    assert not messy.has_canonical_format
    before = (messy.data.copy(), messy.indices.copy(), messy.indptr.copy())
    model = classifier(np.float64)
    expected = model.predict(messy.toarray())
    np.testing.assert_allclose(model.predict(messy), expected, rtol=1e-12)
    for array, kept in zip((messy.data, messy.indices, messy.indptr), before):
        np.testing.assert_array_equal(array, kept)  # nothing sorted or summed in place
    wide = sp.csr_matrix((data, indices.astype(np.int64), indptr.astype(np.int64)),
                         shape=(3, N_FEATURES))
    wide.indices = wide.indices.astype(np.int64)
    wide.indptr = wide.indptr.astype(np.int64)
    np.testing.assert_allclose(model.predict(wide), expected, rtol=1e-12)
    ones = sp.csr_matrix(np.eye(3, N_FEATURES, dtype=bool))
    np.testing.assert_allclose(model.predict(ones), model.predict(np.eye(3, N_FEATURES)),
                               rtol=1e-12)


def test_a_matrix_of_zeros():
    zeros = sp.csr_matrix((4, N_FEATURES))
    model = classifier(np.float64)
    np.testing.assert_array_equal(model.predict(zeros), model.predict(np.zeros((4, N_FEATURES))))
    model.fit(zeros, np.eye(N_OUTPUTS)[[0, 1, 2, 0]], epochs=1, batch_size=2)


def test_the_data_is_shared_not_modified_or_copied():
    X, Y, _ = sparse_data()
    snapshot = X.copy()
    model = classifier(np.float64)
    model.fit(X, Y, epochs=2, batch_size=7)
    model.predict(X)
    assert (X != snapshot).nnz == 0 and X.has_sorted_indices == snapshot.has_sorted_indices
    out = np.empty((N_SAMPLES, N_OUTPUTS))
    aliased = sp.csr_matrix((N_SAMPLES, N_FEATURES))
    aliased.data, aliased.indices = out.reshape(-1)[:3], np.arange(3, dtype=np.int32)
    aliased.indptr = np.array([0, 3] + [3] * (N_SAMPLES - 1), dtype=np.int32)
    with pytest.raises(ValueError, match="out: overlaps X"):
        model.predict(aliased, out=out)


@pytest.mark.parametrize("case, error, match", [
    ("nan", ValueError, "X: contains NaN or infinity"),
    ("inf", ValueError, "X: contains NaN or infinity"),
    ("too large", ValueError, "X: has values too large for float32"),
    ("features", ValueError, "X: got 39 features"),
    ("empty", ValueError, r"X: got shape \(0, 40\)"),
    ("complex", TypeError, "X: got a sparse matrix of dtype complex128"),
    ("indptr", ValueError, "X: has an invalid index pointer"),
    ("indptr end", ValueError, "X: its index pointer .* ends at 9, expected at most 3"),
    ("index", ValueError, "X: has column indices outside 0 to 39"),
    ("negative index", ValueError, "X: has column indices outside 0 to 39"),
    ("one-dimensional", ValueError, "X: got a 1-D sparse array"),
])
def test_bad_sparse_input_is_refused(case, error, match):
    model = classifier(np.float32)
    good = sp.csr_matrix(([1.0, 2.0, 3.0], [0, 5, 9], [0, 2, 3]), shape=(2, N_FEATURES))
    if case in ("nan", "inf"):
        X = good.copy()
        X.data[1] = np.nan if case == "nan" else np.inf
    elif case == "too large":
        X = good * 1e300
    elif case == "features":
        X = sp.csr_matrix((2, N_FEATURES - 1))
    elif case == "empty":
        X = sp.csr_matrix((0, N_FEATURES))
    elif case == "complex":
        X = good.astype(complex)
    elif case.startswith("indptr"):
        X = good.copy()
        X.indptr = np.array([0, 3, 2]) if case == "indptr" else np.array([0, 2, 9])
    elif case.endswith("index"):
        X = good.copy()
        X.indices = np.array([0, 5, N_FEATURES if case == "index" else -1], dtype=np.int32)
    else:
        X = sp.coo_array(np.ones(N_FEATURES))
        if X.ndim != 1:
            pytest.skip("this SciPy has no 1-D sparse arrays")
    for call in (lambda: model.predict(X), lambda: model.fit(X, np.eye(3)[:2], epochs=1)):
        with pytest.raises(error, match=match):
            call()


def test_pickle_and_fit_after_sparse_fit():
    X, Y, _ = sparse_data()
    model = classifier(np.float64)
    model.fit(X, Y, epochs=2, batch_size=8, optimizer="adam")
    copy = pickle.loads(pickle.dumps(model))
    model.fit(X, Y, epochs=1, batch_size=8, random_state=2, warm_start=True)
    copy.fit(X.toarray(), Y, epochs=1, batch_size=8, random_state=2, warm_start=True)
    assert_close(model.params_, copy.params_, np.float64)


# -- the estimators: scikit-learn's results on sparse data ------------------------------

sklearn = pytest.importorskip("sklearn")
from sklearn import neural_network as reference  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402


@pytest.mark.parametrize("solver, batch_size", [("adam", 16), ("sgd", 1), ("lbfgs", "auto")])
@pytest.mark.parametrize("to_format", [sp.csr_matrix, sp.csc_array])
def test_classifier_matches_scikit_learn(solver, batch_size, to_format):
    X, _, labels = sparse_data()
    X = to_format(X)
    options = dict(hidden_layer_sizes=(7,), solver=solver, batch_size=batch_size, max_iter=8,
                   random_state=0, learning_rate_init=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = nncore.MLPClassifier(**options).fit(X, labels)
        theirs = reference.MLPClassifier(**options).fit(X, labels)
    for mine, expected in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-6)
    assert ours.n_iter_ == theirs.n_iter_


def test_regressor_with_early_stopping_matches_scikit_learn():
    X, _, _ = sparse_data(n_samples=120)
    y = np.asarray(X @ np.linspace(-1, 1, N_FEATURES)).ravel()
    options = dict(hidden_layer_sizes=(6,), max_iter=6, random_state=0, early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = nncore.MLPRegressor(**options).fit(X, y)
        theirs = reference.MLPRegressor(**options).fit(X, y)
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-6)
    for mine, expected in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(mine, expected, rtol=1e-6, atol=1e-9)
    assert ours.__sklearn_tags__().input_tags.sparse


def test_partial_fit_matches_scikit_learn():
    X, _, labels = sparse_data()
    ours = nncore.MLPClassifier(hidden_layer_sizes=(5,), random_state=0)
    theirs = reference.MLPClassifier(hidden_layer_sizes=(5,), random_state=0)
    for start in range(0, N_SAMPLES, 20):
        rows = slice(start, start + 20)
        ours.partial_fit(X[rows].tocsc(), labels[rows], classes=[0, 1, 2])
        theirs.partial_fit(X[rows].tocsc(), labels[rows], classes=[0, 1, 2])
    for mine, expected in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(mine, expected, rtol=1e-6, atol=1e-9)
