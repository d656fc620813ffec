"""MLP.fit and partial_fit: what the compiled training loop computes.

The compiled loop is checked against the same steps driven from Python:
``MLP.gradients()`` for each batch, then the optimizer formulas documented
in ``nncore/optimizers.py`` written in NumPy in the model's dtype, with the
batches taken in the documented order (one ``rng.permutation(n_samples)``
per epoch). Both do the same operations in the same order, so they must
agree bit for bit.
"""
import math

import numpy as np
import pytest

import nncore

N_SAMPLES = 7
SIZES = (3, 4, 2)


def problem(seed=0, n_samples=N_SAMPLES, n_in=3, n_out=2):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_samples, n_in))
    y = rng.standard_normal((n_samples, n_out))
    weights = rng.uniform(0.5, 2.0, n_samples)
    return x, y, weights


def make_model(dtype=np.float64, sizes=SIZES, **options):
    options.setdefault("activation", "tanh")
    options.setdefault("random_state", 1)
    return nncore.MLP(sizes, dtype=dtype, **options)


def flat_gradients(model, x, y, sample_weight=None, l2=0.0):
    """(loss, gradient) with the gradient laid out as params_: per layer the
    weights (row major), then the bias."""
    gradients = model.gradients(x, y, sample_weight=sample_weight, l2=l2)
    parts = []
    for layer, coef in enumerate(gradients.coefs):
        parts.append(coef.ravel())
        if model.bias:
            parts.append(gradients.intercepts[layer])
    return gradients.loss, np.concatenate(parts)


class PythonOptimizer:
    """The update rules of nncore/optimizers.py in NumPy, computed in ``dtype``."""

    def __init__(self, optimizer, dtype, size):
        self.config = optimizer.get_config()
        self.real = np.dtype(dtype).type
        self.first = np.zeros(size, dtype=dtype)
        self.second = np.zeros(size, dtype=dtype)
        self.t = 0

    def step(self, params, grads):
        config, real = self.config, self.real
        if config["name"] == "sgd":
            lr, momentum = real(config["learning_rate"]), real(config["momentum"])
            if config["momentum"] > 0:
                # v := mu v - lr g; p := p + v, or p + (mu v - lr g) with Nesterov
                self.first[...] = momentum * self.first - lr * grads
                params += momentum * self.first - lr * grads if config["nesterov"] else self.first
            else:
                params -= lr * grads
            return
        self.t += 1
        beta_1, beta_2 = config["beta_1"], config["beta_2"]
        step_size = real(config["learning_rate"] * math.sqrt(1 - beta_2 ** self.t)
                         / (1 - beta_1 ** self.t))
        b1, b2, eps, one = real(beta_1), real(beta_2), real(config["epsilon"]), real(1)
        self.first[...] = b1 * self.first + (one - b1) * grads
        self.second[...] = b2 * self.second + (one - b2) * (grads * grads)
        params += (-step_size * self.first) / (np.sqrt(self.second) + eps)


def drive(model, x, y, optimizer, *, epochs, batch_size, order_rng=None, sample_weight=None,
          l2=0.0, state=None):
    """Train ``model`` from Python, as ``fit`` documents it; returns the epoch losses.

    ``order_rng`` None means the samples in order (shuffle=False).
    """
    dtype = model.dtype
    x, y = np.asarray(x, dtype=dtype), np.asarray(y, dtype=dtype)
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=dtype)
    n_samples = x.shape[0]
    state = state if state is not None else PythonOptimizer(optimizer, dtype, model.params_.size)
    losses = []
    for _ in range(epochs):
        order = order_rng.permutation(n_samples) if order_rng is not None else np.arange(n_samples)
        total = 0.0
        for start in range(0, n_samples, batch_size):
            batch = order[start:start + batch_size]
            loss, grads = flat_gradients(model, x[batch], y[batch],
                                         None if weights is None else weights[batch], l2)
            state.step(model.params_, grads)
            total += loss * batch.size
        losses.append(loss if batch_size >= n_samples else total / n_samples)
    return losses


def assert_same_params(a, b):
    np.testing.assert_array_equal(a.params_, b.params_, strict=True)


# --- a worked example ----------------------------------------------------------

def test_hand_worked_sgd_step_on_a_3_2_1_network():
    x = np.array([[1.0, 0.5, -1.0],
                  [0.0, -2.0, 1.5]])
    y = np.array([[0.5],
                  [-1.0]])
    w1 = np.array([[0.1, -0.2],
                   [0.4, 0.3],
                   [-0.5, 0.2]])
    b1 = np.array([0.05, -0.1])
    w2 = np.array([[0.7],
                   [-0.6]])
    b2 = np.array([0.2])
    learning_rate = 0.5
    n_samples = 2

    # Forward: logistic hidden layer, identity output.
    z1 = x @ w1 + b1
    np.testing.assert_allclose(z1, [[0.85, -0.35], [-1.5, -0.4]], rtol=1e-14)
    h = 1 / (1 + np.exp(-z1))
    z2 = h @ w2 + b2
    a = z2
    # squared_error: mean over samples of half the sum over outputs of (a - y)**2.
    loss = np.sum(0.5 * np.sum((a - y) ** 2, axis=1)) / n_samples

    # Backward.
    delta2 = (a - y) / n_samples          # d loss / d z2
    grad_w2 = h.T @ delta2
    grad_b2 = delta2.sum(axis=0)
    delta1 = (delta2 @ w2.T) * h * (1 - h)  # d loss / d z1
    grad_w1 = x.T @ delta1
    grad_b1 = delta1.sum(axis=0)

    # One SGD step.
    expected = {
        "w1": w1 - learning_rate * grad_w1, "b1": b1 - learning_rate * grad_b1,
        "w2": w2 - learning_rate * grad_w2, "b2": b2 - learning_rate * grad_b2,
    }

    model = nncore.MLP((3, 2, 1), activation="logistic", output_activation="identity",
                       loss="squared_error", random_state=0)
    model.coefs_ = [w1, w2]
    model.intercepts_ = [b1, b2]
    history = model.fit(x, y, epochs=1, optimizer=nncore.SGD(learning_rate=learning_rate),
                        shuffle=False, warm_start=True)

    assert history.loss == [pytest.approx(loss, rel=1e-14)]
    np.testing.assert_allclose(model.coefs_[0], expected["w1"], rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(model.intercepts_[0], expected["b1"], rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(model.coefs_[1], expected["w2"], rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(model.intercepts_[1], expected["b2"], rtol=1e-13, atol=1e-16)
    # The step moved every parameter.
    assert np.all(model.coefs_[0] != w1) and np.all(model.coefs_[1] != w2)


# --- mini-batches ----------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [None, N_SAMPLES])
def test_full_batch_epoch_is_one_gradient_step(batch_size, dtype):
    x, y, weights = problem()
    model = make_model(dtype)
    # In order: a permutation would change the order the gradient sums the samples in.
    history = model.fit(x, y, epochs=1, batch_size=batch_size, optimizer=nncore.SGD(0.1),
                        shuffle=False, sample_weight=weights, l2=0.05)

    stepped = make_model(dtype)
    loss, grads = flat_gradients(stepped, x, y, weights, 0.05)
    stepped.params_[...] = stepped.params_ - dtype.type(0.1) * grads
    assert_same_params(model, stepped)
    assert history.loss == [loss]


def test_batch_size_one_in_order_is_one_step_per_sample(dtype):
    x, y, _ = problem()
    optimizer = nncore.SGD(0.05, momentum=0.8)
    model = make_model(dtype)
    history = model.fit(x, y, epochs=1, batch_size=1, shuffle=False, optimizer=optimizer)

    stepped = make_model(dtype)
    row_losses = []
    for i in range(N_SAMPLES):
        row_losses.append(stepped.partial_fit(x[i:i + 1], y[i:i + 1], optimizer=optimizer).loss[0])
    assert_same_params(model, stepped)
    total = 0.0
    for row_loss in row_losses:
        total += row_loss
    assert history.loss == [total / N_SAMPLES]


OPTIMIZERS = {
    "sgd": nncore.SGD(learning_rate=0.05),
    "momentum": nncore.SGD(learning_rate=0.05, momentum=0.9),
    "nesterov": nncore.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "adam": nncore.Adam(learning_rate=0.01),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("l2", [0.0, 0.1], ids=["no-l2", "l2"])
# Batches of one take the fused per-sample path. Narrow layers use the
# in-order loops; wide ones (8+ outputs) the vectorized products and dots.
@pytest.mark.parametrize("batch_size", [3, 1])
@pytest.mark.parametrize("sizes", [SIZES, (5, 12, 9)], ids=["narrow", "wide"])
def test_fit_equals_steps_driven_from_python(name, weighted, l2, batch_size, sizes, dtype):
    x, y, weights = problem(n_in=sizes[0], n_out=sizes[-1])
    sample_weight = weights if weighted else None
    model = make_model(dtype, sizes=sizes)
    history = model.fit(x, y, epochs=4, batch_size=batch_size, optimizer=OPTIMIZERS[name],
                        random_state=5, sample_weight=sample_weight, l2=l2)

    driven = make_model(dtype, sizes=sizes)
    losses = drive(driven, x, y, OPTIMIZERS[name], epochs=4, batch_size=batch_size,
                   order_rng=np.random.default_rng(5), sample_weight=sample_weight, l2=l2)
    assert_same_params(model, driven)
    assert history.loss == losses


# --- shuffling -------------------------------------------------------------------

HEADS = {
    "squared_error": dict(output_activation="identity", loss="squared_error"),
    "sse": dict(output_activation="identity", loss="sse"),
    "binary_cross_entropy": dict(loss="binary_cross_entropy"),
    "cross_entropy": dict(loss="cross_entropy"),
    "poisson": dict(loss="poisson"),
    "exp-squared_error": dict(output_activation="exp", loss="squared_error"),
}


def head_targets(head, y):
    if head == "binary_cross_entropy":
        return (y > 0).astype(float)
    if head == "cross_entropy":
        return np.argmax(y, axis=1)
    if head in ("poisson", "exp-squared_error"):  # counts, zeros among them
        return np.floor(np.abs(y) * 2)
    return y


@pytest.mark.parametrize("batch_size", [1, 3, N_SAMPLES])
@pytest.mark.parametrize("head", HEADS)
def test_batch_sizes_and_a_smaller_last_batch(batch_size, head, dtype):
    # 7 samples in batches of 3: the last batch has 1 row.
    x, y, weights = problem(seed=2)
    y = head_targets(head, y)
    optimizer = nncore.SGD(learning_rate=0.05, momentum=0.9, nesterov=True)
    model = make_model(dtype, **HEADS[head])
    history = model.fit(x, y, epochs=3, batch_size=batch_size, optimizer=optimizer,
                        random_state=11, sample_weight=weights)

    driven = make_model(dtype, **HEADS[head])
    if head == "cross_entropy":
        y = np.eye(2)[y]
    losses = drive(driven, x, y, optimizer, epochs=3, batch_size=batch_size,
                   order_rng=np.random.default_rng(11), sample_weight=weights)
    assert_same_params(model, driven)
    assert history.loss == losses


@pytest.mark.parametrize("make_rng", [np.random.default_rng, np.random.RandomState],
                         ids=["Generator", "RandomState"])
def test_shuffling_follows_one_permutation_per_epoch(make_rng):
    x, y, _ = problem()
    optimizer = nncore.SGD(0.05, momentum=0.5)
    model = make_model()
    model.fit(x, y, epochs=5, batch_size=2, optimizer=optimizer, random_state=make_rng(3))
    driven = make_model()
    drive(driven, x, y, optimizer, epochs=5, batch_size=2, order_rng=make_rng(3))
    assert_same_params(model, driven)


def test_same_seed_gives_the_same_bits(dtype):
    x, y, weights = problem()
    results = []
    for seed in (21, 21, 22):
        model = make_model(dtype)
        history = model.fit(x, y, epochs=6, batch_size=2, optimizer="adam", random_state=seed,
                            sample_weight=weights)
        results.append((model.params_.copy(), history.loss))
    np.testing.assert_array_equal(results[0][0], results[1][0], strict=True)
    assert results[0][1] == results[1][1]
    assert not np.array_equal(results[0][0], results[2][0])


def test_shuffle_false_ignores_the_random_state():
    x, y, _ = problem()
    a, b = make_model(), make_model()
    a.fit(x, y, epochs=3, batch_size=2, shuffle=False, random_state=1)
    b.fit(x, y, epochs=3, batch_size=2, shuffle=False, random_state=2)
    assert_same_params(a, b)


@pytest.mark.parametrize("random_state", [None, 8, "RandomState"])
def test_result_does_not_depend_on_a_callback(random_state, dtype):
    # Without per-epoch hooks, the engine runs many epochs per compiled call;
    # with a callback, one. The permutations drawn must be the same.
    x, y, _ = problem()

    def run(callback):
        rng = np.random.RandomState(8) if random_state == "RandomState" else random_state
        model = make_model(dtype)
        history = model.fit(x, y, epochs=12, batch_size=3, optimizer="adam", random_state=rng,
                            callback=callback)
        return model, history

    plain, plain_history = run(None)
    hooked, hooked_history = run(lambda epoch, logs: None)
    assert_same_params(plain, hooked)
    assert plain_history.loss == hooked_history.loss


def test_result_does_not_depend_on_how_epochs_are_grouped(monkeypatch):
    x, y, _ = problem()
    model = make_model()
    model.fit(x, y, epochs=10, batch_size=3, optimizer="adam", random_state=4)
    # Work per compiled call small enough that the 10 epochs go as 3 + 3 + 3 + 1.
    work = N_SAMPLES * model._engine.work_per_row
    monkeypatch.setattr(nncore.model, "CHUNK_WORK", 3 * work)
    grouped = make_model()
    grouped.fit(x, y, epochs=10, batch_size=3, optimizer="adam", random_state=4)
    assert_same_params(model, grouped)


# --- early stopping, validation, callbacks ----------------------------------------

def linear_problem():
    """Data whose validation targets are the negated training targets: from
    zero weights (``zero_model``), every step of gradient descent on the
    training set makes the validation loss rise."""
    x, y, _ = problem(seed=3)
    return x, y, (x, -y)


def zero_model():
    """A linear model starting at zero; fit it with warm_start=True."""
    model = make_model(sizes=(3, 2))
    model.params_[...] = 0
    return model


def test_early_stopping_waits_patience_epochs_and_restores_the_best():
    x, y, validation = linear_problem()
    snapshots = []
    model = zero_model()
    history = model.fit(x, y, epochs=50, optimizer=nncore.SGD(0.1),
                        warm_start=True, validation_data=validation,
                        early_stopping=nncore.EarlyStopping(patience=3),
                        callback=lambda epoch, logs: snapshots.append(model.params_.copy()))
    assert np.all(np.diff(history.val_loss) > 0)  # the premise: no epoch improves on the first
    assert history.epochs == 4
    assert history.best_epoch == 0
    assert history.stopped_early is True
    np.testing.assert_array_equal(model.params_, snapshots[0], strict=True)


def test_early_stopping_without_restore_keeps_the_last_parameters():
    x, y, validation = linear_problem()
    model = zero_model()
    history = model.fit(x, y, epochs=50, optimizer=nncore.SGD(0.1),
                        warm_start=True, validation_data=validation,
                        early_stopping=nncore.EarlyStopping(patience=3, restore_best=False))
    assert history.epochs == 4 and history.best_epoch == 0 and history.stopped_early
    last = zero_model()
    last.fit(x, y, epochs=4, optimizer=nncore.SGD(0.1), warm_start=True)
    assert_same_params(model, last)


def test_early_stopping_runs_on_while_the_loss_improves():
    x, y, _ = problem()
    model = make_model()
    history = model.fit(x, y, epochs=8, optimizer=nncore.SGD(0.05),
                        early_stopping=nncore.EarlyStopping(patience=2))
    assert np.all(np.diff(history.loss) < 0)
    assert history.epochs == 8 and history.best_epoch == 7 and history.stopped_early is False
    plain = make_model()
    plain.fit(x, y, epochs=8, optimizer=nncore.SGD(0.05))
    assert_same_params(model, plain)


def test_min_delta_counts_only_larger_improvements():
    x, y, _ = problem()
    model = make_model()
    reference = make_model().fit(x, y, epochs=8, optimizer=nncore.SGD(0.05)).loss
    steps = -np.diff(reference)
    assert steps.max() < 1.0  # every epoch improves by less than min_delta
    history = model.fit(x, y, epochs=8, optimizer=nncore.SGD(0.05),
                        early_stopping=nncore.EarlyStopping(patience=2, min_delta=1.0))
    assert history.loss == reference[:3]
    assert history.best_epoch == 0 and history.stopped_early is True
    # restore_best: the parameters after epoch 0.
    one_epoch = make_model()
    one_epoch.fit(x, y, epochs=1, optimizer=nncore.SGD(0.05))
    assert_same_params(model, one_epoch)


def test_min_delta_below_every_improvement_never_stops():
    x, y, _ = problem()
    reference = make_model().fit(x, y, epochs=5, optimizer=nncore.SGD(0.05)).loss
    smallest = float(np.min(-np.diff(reference)))
    history = make_model().fit(x, y, epochs=5, optimizer=nncore.SGD(0.05),
                               early_stopping=nncore.EarlyStopping(patience=1,
                                                                   min_delta=smallest / 2))
    assert history.epochs == 5 and history.best_epoch == 4 and not history.stopped_early


def test_monitor_loss_ignores_the_validation_loss():
    x, y, validation = linear_problem()
    model = zero_model()
    history = model.fit(x, y, epochs=6, optimizer=nncore.SGD(0.1),
                        warm_start=True, validation_data=validation,
                        early_stopping=nncore.EarlyStopping(patience=2, monitor="loss"))
    # The validation loss rises throughout, but the training loss falls.
    assert np.all(np.diff(history.val_loss) > 0) and np.all(np.diff(history.loss) < 0)
    assert history.epochs == 6 and history.best_epoch == 5 and not history.stopped_early


@pytest.mark.parametrize("monitor", ["auto", "val_loss"])
def test_monitor_val_loss(monitor):
    x, y, validation = linear_problem()
    model = zero_model()
    history = model.fit(x, y, epochs=6, optimizer=nncore.SGD(0.1),
                        warm_start=True, validation_data=validation,
                        early_stopping=nncore.EarlyStopping(patience=2, monitor=monitor))
    assert history.epochs == 3 and history.best_epoch == 0 and history.stopped_early


def test_early_stopping_true_is_the_default_rule():
    x, y, validation = linear_problem()
    model = zero_model()
    history = model.fit(x, y, epochs=50, optimizer=nncore.SGD(0.1),
                        warm_start=True, validation_data=validation,
                        early_stopping=True)
    assert history.epochs == 11 and history.best_epoch == 0 and history.stopped_early


def r2_score(y, predicted, sample_weight):
    """R^2 per output column, weighted, averaged: written out from its definition."""
    w = sample_weight[:, None]
    mean = (w * y).sum(axis=0) / w.sum()
    return float(np.mean(1 - (w * (y - predicted) ** 2).sum(axis=0) / (w * (y - mean) ** 2).sum(axis=0)))


def test_validation_history_for_regression():
    x, y, weights = problem()
    x_val, y_val, w_val = problem(seed=9, n_samples=5)
    seen = []

    def callback(epoch, logs):
        predicted = model.predict(x_val)
        seen.append((epoch, logs, model.loss(x_val, y_val, sample_weight=w_val),
                     r2_score(y_val, predicted, sample_weight=w_val)))

    model = make_model()
    history = model.fit(x, y, epochs=4, optimizer="adam", learning_rate=0.05, l2=0.5,
                        sample_weight=weights, validation_data=(x_val, y_val, w_val),
                        callback=callback)
    assert [epoch for epoch, *_ in seen] == [0, 1, 2, 3]
    for epoch, logs, loss, r2 in seen:
        assert set(logs) == {"loss", "val_loss", "val_score"}
        assert logs["loss"] == history.loss[epoch]
        # The validation loss has no L2 term, whatever fit's l2.
        assert logs["val_loss"] == history.val_loss[epoch] == loss
        assert logs["val_score"] == history.val_score[epoch] == pytest.approx(r2, rel=1e-12)


@pytest.mark.parametrize("head", ["cross_entropy", "binary_cross_entropy"])
def test_validation_score_is_accuracy_for_probability_outputs(head):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((12, 3))
    x_val = rng.standard_normal((9, 3))
    if head == "cross_entropy":
        y, y_val = rng.integers(0, 3, 12), rng.integers(0, 3, 9)
    else:
        y, y_val = rng.integers(0, 2, (12, 3)).astype(float), rng.integers(0, 2, (9, 3)).astype(float)
    seen = []

    def callback(epoch, logs):
        predicted = model.predict(x_val)
        if head == "cross_entropy":
            right = predicted.argmax(axis=1) == y_val
        else:
            right = ((predicted > 0.5) == (y_val > 0.5)).all(axis=1)
        seen.append((logs["val_score"], right.mean(), logs["val_loss"], model.loss(x_val, y_val)))

    model = make_model(sizes=(3, 5, 3), loss=head)
    history = model.fit(x, y, epochs=5, optimizer="adam", learning_rate=0.1,
                        validation_data=(x_val, y_val), callback=callback)
    assert len(seen) == 5 and history.val_score == [score for score, *_ in seen]
    for score, accuracy, val_loss, loss in seen:
        assert score == accuracy
        assert val_loss == loss


def test_callback_returning_true_stops_after_that_epoch():
    x, y, _ = problem()
    calls = []

    def callback(epoch, logs):
        calls.append(epoch)
        return epoch == 2

    model = make_model()
    history = model.fit(x, y, epochs=10, batch_size=3, random_state=0, callback=callback)
    assert calls == [0, 1, 2]
    assert history.epochs == 3 and history.stopped_early is True
    three = make_model()
    three.fit(x, y, epochs=3, batch_size=3, random_state=0)
    assert_same_params(model, three)


def test_callback_returning_other_values_does_not_stop():
    x, y, _ = problem()
    history = make_model().fit(x, y, epochs=4, callback=lambda epoch, logs: 1)
    assert history.epochs == 4 and history.stopped_early is False


# --- warm starts and partial_fit --------------------------------------------------

@pytest.mark.parametrize("optimizer", [nncore.SGD(0.05, momentum=0.9), nncore.Adam(0.02)],
                         ids=["momentum", "adam"])
def test_warm_start_keeps_parameters_and_optimizer_state(optimizer, dtype):
    x, y, weights = problem()
    whole = make_model(dtype)
    whole.fit(x, y, epochs=5, batch_size=3, optimizer=optimizer, sample_weight=weights,
              random_state=np.random.default_rng(6))

    split = make_model(dtype)
    rng = np.random.default_rng(6)
    split.fit(x, y, epochs=3, batch_size=3, optimizer=optimizer, sample_weight=weights,
              random_state=rng)
    split.fit(x, y, epochs=2, batch_size=3, optimizer=optimizer, sample_weight=weights,
              random_state=rng, warm_start=True)
    assert_same_params(whole, split)


def test_warm_start_with_another_optimizer_kind_starts_its_state_afresh():
    x, y, _ = problem()
    model = make_model()
    model.fit(x, y, epochs=3, optimizer=nncore.SGD(0.05, momentum=0.9), shuffle=False)
    start = model.params_.copy()
    model.fit(x, y, epochs=2, optimizer="adam", shuffle=False, warm_start=True)

    fresh = make_model()
    fresh.params_[...] = start
    fresh.fit(x, y, epochs=2, optimizer="adam", shuffle=False, warm_start=True)
    assert_same_params(model, fresh)


def test_fit_without_warm_start_redraws_the_same_initial_weights():
    x, y, _ = problem()
    model = make_model(random_state=13)
    initial = model.params_.copy()
    first = model.fit(x, y, epochs=3, batch_size=2, optimizer="adam")
    after_first = model.params_.copy()
    model.fit(x, y, epochs=0)
    np.testing.assert_array_equal(model.params_, initial, strict=True)
    second = model.fit(x, y, epochs=3, batch_size=2, optimizer="adam")
    np.testing.assert_array_equal(model.params_, after_first, strict=True)
    assert first.loss == second.loss


def test_fit_without_warm_start_resets_the_optimizer_state():
    x, y, _ = problem()
    model = make_model()
    model.fit(x, y, epochs=3, optimizer=nncore.SGD(0.05, momentum=0.9), shuffle=False)
    model.fit(x, y, epochs=2, optimizer=nncore.SGD(0.05, momentum=0.9), shuffle=False)
    fresh = make_model()
    fresh.fit(x, y, epochs=2, optimizer=nncore.SGD(0.05, momentum=0.9), shuffle=False)
    assert_same_params(model, fresh)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_partial_fit_continues_like_one_more_epoch_of_fit(optimizer, dtype):
    x, y, weights = problem()
    whole = make_model(dtype)
    whole.fit(x, y, epochs=4, batch_size=2, optimizer=optimizer, learning_rate=0.03,
              sample_weight=weights, l2=0.1)

    split = make_model(dtype)
    split.fit(x, y, epochs=3, batch_size=2, optimizer=optimizer, learning_rate=0.03,
              sample_weight=weights, l2=0.1)
    history = split.partial_fit(x, y, batch_size=2, sample_weight=weights, l2=0.1)
    assert_same_params(whole, split)
    assert history.loss == whole.history_.loss[3:]
    assert split.history_ is history


def test_partial_fit_learning_rate_keeps_the_optimizer_kind_and_state():
    x, y, _ = problem()
    model = make_model()
    model.fit(x, y, epochs=2, optimizer=nncore.Adam(0.01, beta_1=0.8), shuffle=False)
    model.partial_fit(x, y, learning_rate=0.03, shuffle=False)
    assert model.optimizer_ == nncore.Adam(0.03, beta_1=0.8)

    driven = make_model()
    state = PythonOptimizer(nncore.Adam(0.01, beta_1=0.8), driven.dtype, driven.params_.size)
    drive(driven, x, y, None, epochs=2, batch_size=N_SAMPLES, state=state)
    state.config["learning_rate"] = 0.03
    drive(driven, x, y, None, epochs=1, batch_size=N_SAMPLES, state=state)
    assert_same_params(model, driven)


def test_partial_fit_on_a_fresh_model_is_one_sgd_epoch():
    x, y, _ = problem()
    model = make_model()
    model.partial_fit(x, y, batch_size=3, random_state=2)
    assert model.optimizer_ == nncore.SGD()
    driven = make_model()
    drive(driven, x, y, nncore.SGD(), epochs=1, batch_size=3, order_rng=np.random.default_rng(2))
    assert_same_params(model, driven)


# --- targets -----------------------------------------------------------------------

def test_cross_entropy_class_indices_equal_one_hot_rows(dtype):
    x, _, weights = problem()
    labels = np.array([0, 2, 1, 1, 0, 2, 2])
    one_hot = np.eye(3)[labels]
    models = []
    for targets in (labels, one_hot):
        model = make_model(dtype, sizes=(3, 4, 3), loss="cross_entropy")
        model.fit(x, targets, epochs=3, batch_size=3, optimizer="adam", random_state=0,
                  sample_weight=weights)
        models.append(model)
    assert_same_params(*models)
    indices, rows = models[0], models[1]
    assert indices.loss(x, labels) == rows.loss(x, one_hot)
    assert indices.score(x, labels) == rows.score(x, one_hot)
    by_index, by_row = indices.gradients(x, labels), rows.gradients(x, one_hot)
    for a, b in zip(by_index.coefs + by_index.intercepts, by_row.coefs + by_row.intercepts):
        np.testing.assert_array_equal(a, b, strict=True)


# --- divergence --------------------------------------------------------------------

def diverging_problem():
    """An SGD run whose loss stops being finite in the middle of its second epoch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3))
    y = rng.standard_normal((6, 1))
    return x, y, dict(batch_size=2, shuffle=False, optimizer=nncore.SGD(learning_rate=40.0))


def python_run_until_divergence(dtype):
    """Steps from Python until the loss or a new parameter is not finite:
    (params before that step, whole epochs' losses, index of the failing step)."""
    x, y, options = diverging_problem()
    x, y = x.astype(dtype), y.astype(dtype)
    model = make_model(dtype, sizes=(3, 3, 1), activation="identity", random_state=2)
    state = PythonOptimizer(options["optimizer"], dtype, model.params_.size)
    losses, step = [], 0
    while True:
        total = 0.0
        for start in range(0, 6, 2):
            loss, grads = flat_gradients(model, x[start:start + 2], y[start:start + 2])
            if not np.isfinite(loss):
                return model.params_.copy(), losses, step
            before = model.params_.copy()
            with np.errstate(over="ignore", invalid="ignore"):  # the blow-up is the point
                state.step(model.params_, grads)
            if not np.isfinite(model.params_).all():
                return before, losses, step
            total += 2 * loss
            step += 1
        losses.append(total / 6)


def test_non_finite_loss_raises_and_keeps_the_parameters_before_that_step(dtype):
    before, losses, step = python_run_until_divergence(dtype)
    # The premise: after whole epochs; in float64 mid-epoch too (in float32 an
    # update overflows, and is refused, at the start of the second epoch).
    assert 1 <= len(losses) and (step % 3 != 0 or dtype == np.float32)
    x, y, options = diverging_problem()
    model = make_model(dtype, sizes=(3, 3, 1), activation="identity", random_state=2)
    with pytest.raises(ValueError, match=r"training diverged at step \d+: (the loss is (nan|inf)|"
                                         r"the update made a parameter infinite or NaN)"):
        model.fit(x, y, epochs=50, **options)
    np.testing.assert_array_equal(model.params_, before, strict=True)
    assert model.history_.loss == losses


def test_non_finite_loss_with_per_epoch_hooks(dtype):
    before, losses, _ = python_run_until_divergence(dtype)
    x, y, options = diverging_problem()
    model = make_model(dtype, sizes=(3, 3, 1), activation="identity", random_state=2)
    epochs = []
    with pytest.raises(ValueError, match=r"training diverged"):
        model.fit(x, y, epochs=50, callback=lambda epoch, logs: epochs.append(epoch), **options)
    np.testing.assert_array_equal(model.params_, before, strict=True)
    assert model.history_.loss == losses
    assert epochs == list(range(len(losses)))


def test_divergence_message_names_the_failing_step():
    _, losses, step = python_run_until_divergence(np.float64)
    x, y, options = diverging_problem()
    model = make_model(sizes=(3, 3, 1), activation="identity", random_state=2)
    # The failing step, counted from 0 or from 1 (not the number of whole epochs).
    with pytest.raises(ValueError, match=rf"training diverged at step ({step}|{step + 1}):"):
        model.fit(x, y, epochs=50, **options)


def test_zero_weight_batch_is_not_a_divergence():
    # Weights >= 0 with a positive sum are valid; a mini-batch whose samples
    # all weigh 0 then has nothing to learn from, and must not stop training.
    x, y, _ = problem()
    weights = np.array([1.0, 2.0, 0.0, 1.0, 0.5, 1.0, 1.5])
    model = make_model()
    model.fit(x, y, epochs=1, batch_size=1, shuffle=False, optimizer=nncore.SGD(0.05),
              sample_weight=weights)
    assert np.isfinite(model.params_).all()
    # With plain SGD, a zero-weight sample changes nothing: the same as
    # single-sample steps on the others.
    stepped = make_model()
    for i in np.flatnonzero(weights):
        stepped.partial_fit(x[i:i + 1], y[i:i + 1], optimizer=nncore.SGD(0.05),
                            sample_weight=weights[i:i + 1])
    assert_same_params(model, stepped)
