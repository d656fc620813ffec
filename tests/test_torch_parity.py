"""MLP against PyTorch autograd and torch.optim, in float64.

The losses are written in torch from their definitions in the MLP
docstring; torch differentiates them, so a gradient that is right for some
other scaling (sum or mean, halving, weights, L2) would not match.
"""
import math

import numpy as np
import pytest

import nncore
from nncore._config import HIDDEN_ACTIVATIONS, VALID_HEADS

torch = pytest.importorskip("torch")
functional = torch.nn.functional

# Every hidden activation, and every (output activation, loss) pair a model may have.
HIDDEN = list(HIDDEN_ACTIVATIONS)
HEADS = list(VALID_HEADS)
SIZES = (3, 4, 5, 2)
SLOPE = 0.1


@pytest.fixture(autouse=True)
def torch_float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def activate(name, z):
    if name == "identity":
        return z
    if name == "logistic":
        return torch.sigmoid(z)
    if name == "tanh":
        return torch.tanh(z)
    if name == "relu":
        return torch.relu(z)
    if name == "leaky_relu":
        return functional.leaky_relu(z, SLOPE)
    if name == "exp":
        return torch.exp(z)
    if name == "gelu":
        return functional.gelu(z, approximate="none")
    if name == "silu":
        return functional.silu(z)
    if name == "elu":
        return functional.elu(z)
    if name == "softplus":
        return functional.softplus(z)
    assert name == "softmax"
    return torch.softmax(z, dim=1)


def torch_loss(model, params, x, y, sample_weight, l2, dropout_masks=None):
    """The MLP's loss, from its docstring: per-sample losses, their (weighted)
    mean or sum, and (l2 / 2) * sum(W**2) scaled as the loss is; with
    ``dropout_masks``, the hidden outputs times mask / (1 - rate), as
    torch's dropout scales its noise."""
    inputs = torch.as_tensor(x)
    targets = torch.as_tensor(y)
    weights = torch.ones(x.shape[0]) if sample_weight is None else torch.as_tensor(sample_weight)
    n_layers = len(model.layer_sizes) - 1
    for layer in range(n_layers):
        z = inputs @ params[f"W{layer}"]
        if model.bias:
            z = z + params[f"b{layer}"]
        last = layer == n_layers - 1
        inputs = activate(model.output_activation if last else model.activation, z)
        if dropout_masks is not None and not last:
            rate = model._dropout_rates[layer]
            inputs = inputs * (torch.as_tensor(dropout_masks[layer]) / (1 - rate))
    a = inputs
    if model.loss_name == "sse":
        per_sample = ((a - targets) ** 2).sum(dim=1)
    elif model.loss_name == "squared_error":
        per_sample = 0.5 * ((a - targets) ** 2).sum(dim=1)
    elif model.loss_name == "absolute_error":
        per_sample = functional.l1_loss(a, targets, reduction="none").sum(dim=1)
    elif model.loss_name == "huber":
        per_sample = functional.huber_loss(a, targets, reduction="none",
                                           delta=model.huber_delta).sum(dim=1)
    elif model.loss_name == "binary_cross_entropy":
        per_sample = -(targets * torch.log(a) + (1 - targets) * torch.log(1 - a)).sum(dim=1)
    elif model.loss_name == "poisson":
        # y log(y / a) with the log split: autograd's derivative of xlogy in
        # its second argument is NaN at y = 0 (0 * inf).
        per_sample = (torch.special.xlogy(targets, targets) - targets * torch.log(a) - targets
                      + a).sum(dim=1)
    else:
        per_sample = -(targets * torch.log(a)).sum(dim=1)
    penalty = l2 / 2 * sum((params[f"W{layer}"] ** 2).sum() for layer in range(n_layers))
    total = (weights * per_sample).sum() + penalty
    return total if model.loss_name == "sse" else total / weights.sum()


def torch_params(model):
    """Leaf tensors holding a copy of the model's parameters, in params_ order."""
    params = {}
    for layer, coef in enumerate(model.coefs_):
        params[f"W{layer}"] = torch.tensor(coef, requires_grad=True)
        if model.bias:
            params[f"b{layer}"] = torch.tensor(model.intercepts_[layer], requires_grad=True)
    return params


def flat(tensors):
    return np.concatenate([tensor.detach().numpy().ravel() for tensor in tensors])


def flat_gradients(gradients, model):
    parts = []
    for layer, coef in enumerate(gradients.coefs):
        parts.append(coef.ravel())
        if model.bias:
            parts.append(gradients.intercepts[layer])
    return np.concatenate(parts)


def make_problem(hidden, head, bias, seed):
    output_activation, loss = head
    rng = np.random.default_rng(seed)
    model = nncore.MLP(SIZES, activation=hidden, output_activation=output_activation, loss=loss,
                       bias=bias, random_state=seed, negative_slope=SLOPE)
    # Larger than Glorot's, so activations work in their curved parts.
    model.params_[...] = rng.uniform(-1.5, 1.5, model.params_.size)
    x = rng.standard_normal((6, SIZES[0]))
    if loss == "cross_entropy":
        y = rng.dirichlet(np.ones(SIZES[-1]), size=6)
    elif loss == "poisson":  # counts, zeros among them
        y = rng.poisson(1.5, (6, SIZES[-1])).astype(float)
    else:
        y = rng.random((6, SIZES[-1]))
    weights = rng.uniform(0.5, 2.0, 6)
    return model, x, y, weights


def assert_gradients_match(model, x, y, weights, l2):
    params = torch_params(model)
    loss = torch_loss(model, params, x, y, weights, l2)
    loss.backward()
    expected = flat(param.grad for param in params.values())
    gradients = model.gradients(x, y, sample_weight=weights, l2=l2)
    assert gradients.loss == pytest.approx(loss.item(), rel=1e-13)
    np.testing.assert_allclose(flat_gradients(gradients, model), expected, rtol=1e-11,
                               atol=1e-13 * np.abs(expected).max())


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("head", HEADS, ids="-".join)
def test_gradients_match_autograd_with_weights_and_l2(hidden, head):
    model, x, y, weights = make_problem(hidden, head, True, seed=HIDDEN.index(hidden) * 10
                                        + HEADS.index(head))
    assert_gradients_match(model, x, y, weights, l2=0.3)


@pytest.mark.parametrize("head", HEADS, ids="-".join)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("l2", [0.0, 0.7], ids=["no-l2", "l2"])
def test_gradients_match_autograd_without_bias(head, weighted, l2):
    model, x, y, weights = make_problem("tanh", head, False, seed=100 + HEADS.index(head))
    assert_gradients_match(model, x, y, weights if weighted else None, l2)


@pytest.mark.parametrize("head", HEADS, ids="-".join)
def test_gradients_match_autograd_unweighted_without_l2(head):
    model, x, y, _ = make_problem("leaky_relu", head, True, seed=200 + HEADS.index(head))
    assert_gradients_match(model, x, y, None, 0.0)


NEW_ACTIVATIONS = ["gelu", "silu", "elu", "softplus"]
NEW_LOSSES = ["absolute_error", "huber"]


@pytest.mark.parametrize("name", NEW_ACTIVATIONS)
def test_new_activations_values_match_torch(name):
    # Wide pre-activations: both signs, the tails, softplus past its threshold of 20.
    model = nncore.MLP((1, 1), output_activation=name, loss="squared_error")
    model.coefs_[0][...] = 1.0
    model.intercepts_[0][...] = 0.0
    z = np.concatenate([np.linspace(-40, 40, 4001), np.linspace(-1, 1, 2001)])[:, None]
    expected = activate(name, torch.as_tensor(z)).numpy()
    ours = model.predict(z)
    if name == "gelu":
        # PyTorch's z (1 + erf(z / sqrt2)) / 2 cancels below z = -4 (at -8.3 it
        # is 0): there the two agree to its absolute error only, and nncore's
        # is checked against mpmath (test_activation_accuracy.py).
        tail = z[:, 0] < -4
        np.testing.assert_allclose(ours[tail], expected[tail], rtol=0, atol=1e-15)
        ours, expected = ours[~tail], expected[~tail]
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("hidden", NEW_ACTIVATIONS)
@pytest.mark.parametrize("loss", NEW_LOSSES)
@pytest.mark.parametrize("huber_delta", [1.0, 0.25])
def test_new_losses_and_activations_match_autograd_at_rtol_1e_10(hidden, loss, huber_delta):
    model, x, y, weights = make_problem(hidden, (hidden, loss), True,
                                        seed=300 + NEW_ACTIVATIONS.index(hidden))
    model = nncore.MLP(SIZES, activation=hidden, output_activation=hidden, loss=loss,
                       huber_delta=huber_delta, random_state=0)
    model.params_[...] = np.random.default_rng(5).uniform(-1.5, 1.5, model.params_.size)
    params = torch_params(model)
    torch_value = torch_loss(model, params, x, y, weights, 0.3)
    torch_value.backward()
    expected = flat(param.grad for param in params.values())
    gradients = model.gradients(x, y, sample_weight=weights, l2=0.3)
    assert gradients.loss == pytest.approx(torch_value.item(), rel=1e-10)
    np.testing.assert_allclose(flat_gradients(gradients, model), expected, rtol=1e-10,
                               atol=1e-13 * np.abs(expected).max())


def test_absolute_error_gradient_at_a_tie_is_torchs_sign_zero():
    model = nncore.MLP((2, 2), loss="absolute_error", random_state=0)
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    y = model.predict(x)
    y[1, 0] += 1.0  # one error that is not a tie
    params = torch_params(model)
    torch_loss(model, params, x, y, None, 0.0).backward()
    gradients = model.gradients(x, y)
    np.testing.assert_allclose(flat_gradients(gradients, model),
                               flat(param.grad for param in params.values()), rtol=1e-15)
    # Only the sample that is off contributes, and only through its first output.
    np.testing.assert_array_equal(gradients.intercepts[0], [-0.5, 0.0])


def test_biases_are_not_penalised():
    model, x, y, weights = make_problem("tanh", ("identity", "squared_error"), True, seed=7)
    plain = model.gradients(x, y, sample_weight=weights)
    penalised = model.gradients(x, y, sample_weight=weights, l2=5.0)
    for a, b in zip(plain.intercepts, penalised.intercepts):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(plain.coefs[0], penalised.coefs[0])


# --- optimizers against torch.optim ------------------------------------------------

N_STEPS = 6


def train_both(make_nncore, make_torch, head=("identity", "squared_error"), before_step=None):
    """N_STEPS full-batch steps of the same problem in nncore (fit) and in
    torch (the optimizer ``make_torch`` builds); returns both parameter vectors."""
    model, x, y, weights = make_problem("tanh", head, True, seed=42)
    params = torch_params(model)
    torch_optimizer = make_torch(list(params.values()))
    for step in range(1, N_STEPS + 1):
        if before_step is not None:
            before_step(torch_optimizer, step)
        torch_optimizer.zero_grad()
        torch_loss(model, params, x, y, weights, l2=0.2).backward()
        torch_optimizer.step()
    model.fit(x, y, epochs=N_STEPS, optimizer=make_nncore(), shuffle=False, sample_weight=weights,
              l2=0.2, warm_start=True)
    return model.params_.copy(), flat(params.values())


@pytest.mark.parametrize("nesterov", [False, True], ids=["momentum", "nesterov"])
@pytest.mark.parametrize("head", [("identity", "squared_error"), ("softmax", "cross_entropy"),
                                  ("exp", "poisson")], ids="-".join)
def test_sgd_with_momentum_matches_torch(nesterov, head):
    # torch: b := mu b + g; p := p - lr b (Nesterov: p - lr (g + mu b)). With a
    # constant learning rate this is scikit-learn's v := mu v - lr g with
    # v = -lr b, equal up to rounding.
    ours, theirs = train_both(
        lambda: nncore.SGD(learning_rate=0.1, momentum=0.9, nesterov=nesterov),
        lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=nesterov),
        head)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_plain_sgd_matches_torch():
    ours, theirs = train_both(lambda: nncore.SGD(learning_rate=0.1),
                              lambda params: torch.optim.SGD(params, lr=0.1))
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


ADAM = dict(lr=0.05, betas=(0.8, 0.99), eps=1e-8)


def nncore_adam():
    return nncore.Adam(learning_rate=ADAM["lr"], beta_1=ADAM["betas"][0],
                       beta_2=ADAM["betas"][1], epsilon=ADAM["eps"])


@pytest.mark.parametrize("head", [("identity", "squared_error"), ("logistic", "binary_cross_entropy")], ids="-".join)
def test_adam_matches_torch_with_epsilon_moved(head):
    # nncore (the paper's efficient form): p -= lr_t m / (sqrt(s) + eps) with
    # lr_t = lr sqrt(1 - b2**t) / (1 - b1**t). torch: p -= lr / (1 - b1**t) * m
    # / (sqrt(s) / sqrt(1 - b2**t) + eps'). They are the same update when
    # eps' = eps / sqrt(1 - b2**t), set before every step.
    def move_epsilon(optimizer, step):
        optimizer.param_groups[0]["eps"] = ADAM["eps"] / math.sqrt(1 - ADAM["betas"][1] ** step)

    ours, theirs = train_both(
        nncore_adam, lambda params: torch.optim.Adam(params, foreach=False, **ADAM), head,
        before_step=move_epsilon)
    np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-13)


def test_adam_matches_torch_with_a_tiny_epsilon():
    # With the same epsilon, the two forms differ by about eps / sqrt(s), with
    # sqrt(s) ~ |g|, in each step's relative size: negligible for a tiny eps.
    tiny = dict(ADAM, eps=1e-12)
    ours, theirs = train_both(
        lambda: nncore.Adam(learning_rate=tiny["lr"], beta_1=tiny["betas"][0],
                            beta_2=tiny["betas"][1], epsilon=tiny["eps"]),
        lambda params: torch.optim.Adam(params, foreach=False, **tiny))
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("hidden", ["logistic", "tanh", "relu", "gelu", "silu"])
@pytest.mark.parametrize("head", [("identity", "squared_error"), ("softmax", "cross_entropy"),
                                  ("identity", "huber")], ids="-".join)
def test_gradients_with_dropout_masks_match_autograd_at_rtol_1e_10(hidden, head):
    model, x, y, weights = make_problem(hidden, head, True, seed=300 + HIDDEN.index(hidden))
    with_dropout = nncore.MLP(SIZES, activation=hidden, output_activation=head[0], loss=head[1],
                              negative_slope=SLOPE, dropout=(0.3, 0.5))
    with_dropout.params_[...] = model.params_
    rng = np.random.default_rng(7)
    masks = [(rng.random((6, width)) >= rate).astype(float)
             for width, rate in zip(SIZES[1:-1], (0.3, 0.5))]
    params = torch_params(with_dropout)
    loss = torch_loss(with_dropout, params, x, y, weights, 0.2, dropout_masks=masks)
    loss.backward()
    expected = flat(param.grad for param in params.values())
    gradients = with_dropout.gradients(x, y, sample_weight=weights, l2=0.2, dropout_masks=masks)
    assert gradients.loss == pytest.approx(loss.item(), rel=1e-10)
    np.testing.assert_allclose(flat_gradients(gradients, with_dropout), expected, rtol=1e-10,
                               atol=1e-12 * np.abs(expected).max())
    assert gradients.loss != model.gradients(x, y, sample_weight=weights, l2=0.2).loss
