"""Weight decay (SGD's, AdamW's) and gradient clipping against torch.optim
and torch.nn.utils.clip_grad_norm_, step by step from the same weights, in
every path of the engine: the full batch, batches, and single samples.

torch gets two parameter groups, as is usual with weight decay: the weights
with it, the biases without.
"""
import numpy as np
import pytest

import nncore

torch = pytest.importorskip("torch")

SIZES = (3, 5, 4, 2)
N_SAMPLES = 8
EPOCHS = 3
# Full batch (the tight loop), batches with a short last one, single samples (the fused step).
BATCH_SIZES = [N_SAMPLES, 3, 1]
RTOL = {np.float64: 1e-10, np.float32: 2e-5}


def problem(dtype, head):
    rng = np.random.default_rng(7)
    output_activation, loss = head
    model = nncore.MLP(SIZES, activation="tanh", output_activation=output_activation, loss=loss,
                       dtype=dtype, random_state=3)
    x = rng.standard_normal((N_SAMPLES, SIZES[0])).astype(dtype)
    if loss == "cross_entropy":
        y = rng.dirichlet(np.ones(SIZES[-1]), size=N_SAMPLES).astype(dtype)
    else:
        y = rng.random((N_SAMPLES, SIZES[-1])).astype(dtype)
    return model, x, y


def torch_loss(model, weights, biases, x, y, l2):
    """The MLP's mean loss (its docstring's definition) with (l2 / 2) sum(W**2) / n."""
    a = torch.as_tensor(x)
    for layer, (w, b) in enumerate(zip(weights, biases)):
        z = a @ w + b
        a = torch.tanh(z) if layer < len(weights) - 1 else z
    targets = torch.as_tensor(y)
    if model.loss_name == "cross_entropy":
        per_sample = -(targets * torch.log_softmax(a, dim=1)).sum(dim=1)
    else:
        per_sample = 0.5 * ((a - targets) ** 2).sum(dim=1)
    penalty = l2 / 2 * sum((w ** 2).sum() for w in weights)
    return (per_sample.sum() + penalty) / x.shape[0]


def train_torch(model, x, y, make_optimizer, batch_size, clip_norm=None, l2=0.0):
    """EPOCHS epochs of in-order batches in torch from the model's current
    parameters; returns them flat, in params_ order."""
    weights = [torch.tensor(coef, requires_grad=True) for coef in model.coefs_]
    biases = [torch.tensor(bias, requires_grad=True) for bias in model.intercepts_]
    optimizer = make_optimizer([{"params": weights}, {"params": biases, "weight_decay": 0.0}])
    for _ in range(EPOCHS):
        for start in range(0, N_SAMPLES, batch_size):
            rows = slice(start, start + batch_size)
            optimizer.zero_grad()
            torch_loss(model, weights, biases, x[rows], y[rows], l2).backward()
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(weights + biases, clip_norm)
            optimizer.step()
    return np.concatenate([t.detach().numpy().ravel() for pair in zip(weights, biases) for t in pair])


def compare(dtype, make_ours, make_theirs, batch_size, head=("identity", "squared_error"),
            clip_norm=None, l2=0.0):
    """(ours, theirs, start): both trainings' parameters and the starting ones."""
    model, x, y = problem(dtype, head)
    start = model.params_.copy()
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch_dtype)
    try:
        theirs = train_torch(model, x, y, make_theirs, batch_size, clip_norm, l2)
    finally:
        torch.set_default_dtype(previous)
    model.fit(x, y, epochs=EPOCHS, batch_size=batch_size, optimizer=make_ours(), shuffle=False,
              l2=l2, clip_norm=clip_norm, warm_start=True)
    return model.params_.copy(), theirs, start


def assert_close(ours, theirs, dtype):
    scale = np.abs(theirs).max()
    np.testing.assert_allclose(ours, theirs, rtol=RTOL[dtype], atol=RTOL[dtype] * scale)


OPTIMIZERS = {
    "adamw": (lambda: nncore.AdamW(learning_rate=0.05, beta_1=0.8, beta_2=0.99, weight_decay=0.3),
              lambda groups: torch.optim.AdamW(groups, lr=0.05, betas=(0.8, 0.99), eps=1e-8,
                                               weight_decay=0.3, foreach=False)),
    # A beta_1 below 0.5: torch's lerp takes its other form.
    "adamw-small-beta": (lambda: nncore.AdamW(learning_rate=0.02, beta_1=0.3, epsilon=1e-3,
                                              weight_decay=1.5),
                         lambda groups: torch.optim.AdamW(groups, lr=0.02, betas=(0.3, 0.999),
                                                          eps=1e-3, weight_decay=1.5,
                                                          foreach=False)),
    "sgd": (lambda: nncore.SGD(learning_rate=0.1, weight_decay=0.2),
            lambda groups: torch.optim.SGD(groups, lr=0.1, weight_decay=0.2, foreach=False)),
    "momentum": (lambda: nncore.SGD(learning_rate=0.1, momentum=0.9, weight_decay=0.2),
                 lambda groups: torch.optim.SGD(groups, lr=0.1, momentum=0.9, weight_decay=0.2,
                                                foreach=False)),
    "nesterov": (lambda: nncore.SGD(learning_rate=0.1, momentum=0.9, nesterov=True,
                                    weight_decay=0.2),
                 lambda groups: torch.optim.SGD(groups, lr=0.1, momentum=0.9, nesterov=True,
                                                weight_decay=0.2, foreach=False)),
}


@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=["full", "batches", "single"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_weight_decay_matches_torch(name, batch_size, dtype):
    dtype = dtype.type
    ours, theirs, start = compare(dtype, *OPTIMIZERS[name], batch_size)
    assert_close(ours, theirs, dtype)
    # The decay did something: without it, torch ends elsewhere.
    model, x, y = problem(dtype, ("identity", "squared_error"))
    plain = OPTIMIZERS[name][0]()
    plain.weight_decay = 0.0
    model.fit(x, y, epochs=EPOCHS, batch_size=batch_size, optimizer=plain, shuffle=False,
              warm_start=True)
    assert np.abs(model.params_ - theirs).max() > 100 * RTOL[dtype] * np.abs(theirs).max()
    assert not np.array_equal(ours, start)


@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=["full", "batches", "single"])
@pytest.mark.parametrize("name", ["adamw", "nesterov"])
def test_weight_decay_with_l2_and_softmax_matches_torch(name, batch_size):
    # fit's l2 goes into the gradient first, and SGD's decay is added to that.
    ours, theirs, _ = compare(np.float64, *OPTIMIZERS[name], batch_size,
                              head=("softmax", "cross_entropy"), l2=0.4)
    assert_close(ours, theirs, np.float64)


def test_adamw_without_decay_is_torch_adam():
    ours, theirs, _ = compare(
        np.float64, lambda: nncore.AdamW(learning_rate=0.05, weight_decay=0.0),
        lambda groups: torch.optim.Adam(groups, lr=0.05, foreach=False), 3)
    assert_close(ours, theirs, np.float64)


@pytest.mark.parametrize("clip_norm", [0.05, 1e3], ids=["clips", "never-binds"])
@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=["full", "batches", "single"])
@pytest.mark.parametrize("name", ["adamw", "sgd", "momentum", "nesterov"])
def test_clipping_matches_torch(name, batch_size, clip_norm, dtype):
    dtype = dtype.type
    ours, theirs, _ = compare(dtype, *OPTIMIZERS[name], batch_size, clip_norm=clip_norm)
    assert_close(ours, theirs, dtype)
    unclipped, _, _ = compare(dtype, *OPTIMIZERS[name], batch_size)
    if clip_norm < 1:
        # 0.05 is below every step's gradient norm here: every step is clipped.
        assert np.abs(unclipped - theirs).max() > 100 * RTOL[dtype] * np.abs(theirs).max()
    else:
        # torch multiplies by min(1, factor); nncore skips a factor of 1. With
        # batch_size=1 this also compares the fused step (unclipped) with the
        # general one, which clipping takes: the same bits.
        np.testing.assert_array_equal(ours.view(np.uint8), unclipped.view(np.uint8))


@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=["full", "batches", "single"])
def test_plain_sgd_clipping_matches_torch(batch_size):
    ours, theirs, _ = compare(np.float64, lambda: nncore.SGD(learning_rate=0.3),
                              lambda groups: torch.optim.SGD(groups, lr=0.3, foreach=False),
                              batch_size, clip_norm=0.1)
    assert_close(ours, theirs, np.float64)
