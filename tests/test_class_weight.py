"""class_weight in MLP.fit / partial_fit and MLPClassifier: exactly the bits
of sample_weight set to each sample's class weight (times any sample_weight
given), "balanced" as scikit-learn's compute_class_weight, and clear errors."""
import numpy as np
import pytest

import nncore


def classification(n_samples=30, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_samples, 4))
    labels = rng.integers(0, n_classes, n_samples)
    labels[:n_classes] = np.arange(n_classes)  # every class present
    return x, labels


def softmax_model(dtype=np.float64):
    return nncore.MLP((4, 5, 3), output_activation="softmax", dtype=dtype, random_state=0)


def fit_both(make_model, x, y, class_weight, per_class, sample_weight=None, **options):
    """Params after fit with class_weight, and after fit with the equivalent sample_weight."""
    weighted, plain = make_model(), make_model()
    labels = y if y.ndim == 1 else y[:, 0].astype(int)
    equivalent = np.array([per_class[label] for label in labels], dtype=np.float64)
    if sample_weight is not None:
        equivalent = equivalent * sample_weight
    weighted.fit(x, y, class_weight=class_weight, sample_weight=sample_weight, **options)
    plain.fit(x, y, sample_weight=equivalent, **options)
    return weighted.params_, plain.params_


OPTIONS = dict(epochs=3, batch_size=4, optimizer="adam", random_state=1)


@pytest.mark.parametrize("with_sample_weight", [False, True], ids=["alone", "times-sample_weight"])
def test_dict_gives_the_bits_of_sample_weight(with_sample_weight, dtype):
    x, labels = classification()
    sample_weight = np.random.default_rng(2).uniform(0.5, 2, len(x)) if with_sample_weight else None
    class_weight = {0: 2.5, 2: 0.3}  # class 1 left out: weight 1
    ours, theirs = fit_both(lambda: softmax_model(dtype), x, labels, class_weight,
                            {0: 2.5, 1: 1.0, 2: 0.3}, sample_weight, **OPTIONS)
    np.testing.assert_array_equal(ours, theirs, strict=True)
    unweighted = softmax_model(dtype)
    unweighted.fit(x, labels, sample_weight=sample_weight, **OPTIONS)
    assert not np.array_equal(ours, unweighted.params_)  # the weights did something


def test_balanced_is_scikit_learns(dtype):
    compute_class_weight = pytest.importorskip("sklearn.utils.class_weight").compute_class_weight
    x, labels = classification(n_samples=41)
    present = np.unique(labels)
    per_class = dict(zip(present, compute_class_weight("balanced", classes=present, y=labels)))
    ours, theirs = fit_both(lambda: softmax_model(dtype), x, labels, "balanced", per_class, **OPTIONS)
    np.testing.assert_array_equal(ours, theirs, strict=True)


def test_binary_cross_entropy_classes_are_0_and_1():
    x, labels = classification(n_classes=2)
    y = labels[:, None].astype(float)

    def model():
        return nncore.MLP((4, 3, 1), output_activation="logistic", random_state=0)

    ours, theirs = fit_both(model, x, y, {1: 3.0}, {0: 1.0, 1: 3.0}, **OPTIONS)
    np.testing.assert_array_equal(ours, theirs, strict=True)


def test_one_hot_targets_and_partial_fit_with_a_dict():
    x, labels = classification()
    one_hot = np.eye(3)[labels]
    weighted, plain = softmax_model(), softmax_model()
    weighted.partial_fit(x, one_hot, class_weight={1: 4.0}, shuffle=False)
    plain.partial_fit(x, one_hot, sample_weight=np.where(labels == 1, 4.0, 1.0), shuffle=False)
    np.testing.assert_array_equal(weighted.params_, plain.params_, strict=True)


@pytest.mark.parametrize("call, error, match", [
    (lambda m, x, y: m.partial_fit(x, y, class_weight="balanced"), ValueError,
     r"class_weight: got 'balanced', expected None or a dict \('balanced' needs the whole data set"),
    (lambda m, x, y: m.fit(x, y, epochs=1, class_weight={5: 1.0}), ValueError,
     r"class_weight: got weights for unknown classes \[5\], expected keys among the classes \[0, 1, 2\]"),
    (lambda m, x, y: m.fit(x, y, epochs=1, class_weight={"a": 1.0}), ValueError,
     r"class_weight: got weights for unknown classes \['a'\]"),
    (lambda m, x, y: m.fit(x, y, epochs=1, class_weight={0: -1.0}), ValueError,
     r"class_weight\[0\]: got -1.0, expected a weight >= 0"),
    (lambda m, x, y: m.fit(x, y, epochs=1, class_weight={0: float("nan")}), ValueError,
     r"class_weight\[0\]: got nan, expected a finite number"),
    (lambda m, x, y: m.fit(x, y, epochs=1, class_weight={0: "2"}), TypeError,
     r"class_weight\[0\]: got '2' of type str, expected a real number"),
    (lambda m, x, y: m.fit(x, y, epochs=1, class_weight="even"), ValueError,
     r"class_weight: got 'even', expected None, 'balanced' or a dict"),
    (lambda m, x, y: m.fit(x, y, epochs=1, class_weight=[1.0, 2.0]), TypeError,
     r"class_weight: got \[1.0, 2.0\], expected None, 'balanced' or a dict"),
    (lambda m, x, y: m.fit(x, y, epochs=1, class_weight={0: 0.0, 1: 0.0, 2: 0.0}), ValueError,
     r"class_weight: got negative weights or weights summing to 0"),
    (lambda m, x, y: m.fit(x, np.full((len(x), 3), 1 / 3), epochs=1, class_weight={0: 2.0}),
     ValueError, r"y: got cross_entropy targets that are not one-hot rows"),
])
def test_errors(call, error, match):
    x, labels = classification()
    model = softmax_model()
    before = model.params_.copy()
    with pytest.raises(error, match=match):
        call(model, x, labels)
    np.testing.assert_array_equal(model.params_, before)


@pytest.mark.parametrize("loss", ["squared_error", "huber", "absolute_error", "poisson", "sse"])
def test_only_classification_losses(loss):
    model = nncore.MLP((4, 1), loss=loss)
    x, labels = classification(n_classes=2)
    with pytest.raises(ValueError, match=rf"class_weight: got a class weighting with loss='{loss}', "
                                         "expected one of the classification losses"):
        model.fit(x, labels[:, None].astype(float), epochs=1, class_weight={0: 2.0})


def test_binary_cross_entropy_needs_one_class_per_sample():
    x, labels = classification(n_classes=2)
    with pytest.raises(ValueError, match="class_weight: got 2 binary_cross_entropy outputs, expected 1"):
        nncore.MLP((4, 2), output_activation="logistic").fit(
            x, np.eye(2)[labels], epochs=1, class_weight={0: 2.0})
    with pytest.raises(ValueError, match="y: got binary_cross_entropy targets other than 0 and 1"):
        nncore.MLP((4, 1), output_activation="logistic").fit(
            x, np.full((len(x), 1), 0.5), epochs=1, class_weight={0: 2.0})


# -- the estimator ---------------------------------------------------------------------

sklearn = pytest.importorskip("sklearn")


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("class_weight", [{"cat": 3.0, "dog": 0.5}, "balanced"], ids=["dict", "balanced"])
def test_classifier_gives_the_bits_of_sample_weight(solver, class_weight):
    from sklearn.utils.class_weight import compute_class_weight
    x, labels = classification(n_samples=40)
    names = np.array(["bird", "cat", "dog"])[labels]
    sample_weight = np.random.default_rng(4).uniform(0.5, 2, len(x))
    if class_weight == "balanced":
        per_class = dict(zip(["bird", "cat", "dog"],
                             compute_class_weight("balanced", classes=np.unique(names), y=names)))
    else:
        per_class = {"bird": 1.0, **class_weight}
    options = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=5, random_state=0)
    with pytest.warns(sklearn.exceptions.ConvergenceWarning):
        weighted = nncore.MLPClassifier(class_weight=class_weight, **options).fit(
            x, names, sample_weight=sample_weight)
    with pytest.warns(sklearn.exceptions.ConvergenceWarning):
        plain = nncore.MLPClassifier(**options).fit(
            x, names, sample_weight=np.array([per_class[n] for n in names]) * sample_weight)
    for ours, theirs in zip(weighted.coefs_ + weighted.intercepts_, plain.coefs_ + plain.intercepts_):
        np.testing.assert_array_equal(ours, theirs, strict=True)
    assert weighted.get_params()["class_weight"] == class_weight


def test_classifier_binary_and_partial_fit():
    x, labels = classification(n_classes=2)
    names = np.array(["no", "yes"])[labels]
    weighted = nncore.MLPClassifier((4,), class_weight={"yes": 2.0}, random_state=0)
    plain = nncore.MLPClassifier((4,), random_state=0)
    for _ in range(2):
        weighted.partial_fit(x, names, classes=["no", "yes"])
        plain.partial_fit(x, names, classes=["no", "yes"],
                          sample_weight=np.where(names == "yes", 2.0, 1.0))
    for ours, theirs in zip(weighted.coefs_, plain.coefs_):
        np.testing.assert_array_equal(ours, theirs, strict=True)
    with pytest.raises(ValueError, match="class_weight: got 'balanced', expected None or a dict"):
        nncore.MLPClassifier((4,), class_weight="balanced").partial_fit(x, names, classes=["no", "yes"])


def test_classifier_errors():
    x, labels = classification()
    names = np.array(["bird", "cat", "dog"])[labels]
    with pytest.raises(ValueError, match=r"class_weight: got weights for unknown classes \['fish'\]"):
        nncore.MLPClassifier((4,), class_weight={"fish": 2.0}, max_iter=1).fit(x, names)
    with pytest.raises(ValueError, match="class_weight: got a class weighting with multilabel targets"):
        nncore.MLPClassifier((4,), class_weight={0: 2.0}, max_iter=1).fit(x, np.eye(3)[labels])
