"""Training under each schedule against torch.optim with its
lr_scheduler, from the same weights: the full batch, batches with a short
last one, and single samples (the fused step), float64 to 1e-10."""
import numpy as np
import pytest

import nncore

torch = pytest.importorskip("torch")

SIZES = (3, 5, 4, 2)
N_SAMPLES = 8
EPOCHS = 6
BATCH_SIZES = [N_SAMPLES, 3, 1]
RTOL = 1e-10
LR = 0.1
SCHED = torch.optim.lr_scheduler if torch is not None else None


def problem():
    rng = np.random.default_rng(7)
    model = nncore.MLP(SIZES, activation="tanh", random_state=3)
    x = rng.standard_normal((N_SAMPLES, SIZES[0]))
    y = rng.random((N_SAMPLES, SIZES[-1]))
    x_val = rng.standard_normal((5, SIZES[0]))
    y_val = rng.random((5, SIZES[-1]))
    return model, x, y, (x_val, y_val)


def torch_loss(weights, biases, x, y):
    """The MLP's squared_error: the mean over samples of half the summed squares."""
    a = torch.as_tensor(x)
    for layer, (w, b) in enumerate(zip(weights, biases)):
        a = a @ w + b
        if layer < len(weights) - 1:
            a = torch.tanh(a)
    return 0.5 * ((a - torch.as_tensor(y)) ** 2).sum(dim=1).mean()


def train_torch(model, x, y, make_optimizer, make_scheduler, batch_size, validation=None):
    """EPOCHS epochs of in-order batches in torch from the model's
    parameters; returns them flat (params_ order) and each epoch's first rate."""
    weights = [torch.tensor(coef, requires_grad=True) for coef in model.coefs_]
    biases = [torch.tensor(bias, requires_grad=True) for bias in model.intercepts_]
    optimizer = make_optimizer(weights + biases)  # the weights first
    scheduler = make_scheduler(optimizer, -(-N_SAMPLES // batch_size))
    rates = []
    for _ in range(EPOCHS):
        rates.append(optimizer.param_groups[0]["lr"])
        epoch_loss = 0.0
        for start in range(0, N_SAMPLES, batch_size):
            rows = slice(start, start + batch_size)
            optimizer.zero_grad()
            loss = torch_loss(weights, biases, x[rows], y[rows])
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item() * len(x[rows])
            if isinstance(scheduler, SCHED.OneCycleLR):
                scheduler.step()
        if isinstance(scheduler, SCHED.ReduceLROnPlateau):
            if validation is not None:
                with torch.no_grad():
                    scheduler.step(torch_loss(weights, biases, *validation).item())
            else:
                scheduler.step(epoch_loss / N_SAMPLES)
        elif not isinstance(scheduler, SCHED.OneCycleLR):
            scheduler.step()
    params = np.concatenate([t.detach().numpy().ravel()
                             for pair in zip(weights, biases) for t in pair])
    return params, rates


# Plain SGD: with momentum, nncore's velocity holds the rate (v := mu v - lr g,
# scikit-learn's form), torch's does not (v := mu v + g; p -= lr v); the two
# agree only while the rate is constant.
SGD = (lambda: nncore.SGD(learning_rate=LR),
       lambda params: torch.optim.SGD(params, lr=LR, foreach=False))
# AdamW is torch's Adam at weight_decay=0 (nncore's Adam puts epsilon before
# the bias correction, scikit-learn's form; see test_torch_parity).
ADAM = (lambda: nncore.AdamW(learning_rate=LR, weight_decay=0.0),
        lambda params: torch.optim.Adam(params, lr=LR, foreach=False))
# The decay is on the weights only: torch gets the biases in a group without it.
ADAMW = (lambda: nncore.AdamW(learning_rate=LR, weight_decay=0.1),
         lambda params: torch.optim.AdamW(
             [{"params": params[:len(params) // 2]},
              {"params": params[len(params) // 2:], "weight_decay": 0.0}],
             lr=LR, weight_decay=0.1, foreach=False))

CASES = {
    "step": (lambda: nncore.StepDecay(2, gamma=0.5),
             lambda opt, steps: SCHED.StepLR(opt, step_size=2, gamma=0.5), SGD),
    "exponential": (lambda: nncore.ExponentialDecay(0.8),
                    lambda opt, steps: SCHED.ExponentialLR(opt, gamma=0.8), SGD),
    "cosine": (lambda: nncore.CosineDecay(4, min_learning_rate=0.01),
               lambda opt, steps: SCHED.CosineAnnealingLR(opt, T_max=4, eta_min=0.01), SGD),
    "onecycle-sgd": (lambda: nncore.OneCycle(0.5, EPOCHS),
                     lambda opt, steps: SCHED.OneCycleLR(
                         opt, max_lr=0.5, epochs=EPOCHS, steps_per_epoch=steps,
                         cycle_momentum=False), SGD),
    "onecycle-adam": (lambda: nncore.OneCycle(0.05, EPOCHS, pct_start=0.4),
                      lambda opt, steps: SCHED.OneCycleLR(
                          opt, max_lr=0.05, epochs=EPOCHS, steps_per_epoch=steps,
                          pct_start=0.4, cycle_momentum=False), ADAM),
    "onecycle-adamw": (lambda: nncore.OneCycle(0.05, EPOCHS),
                       lambda opt, steps: SCHED.OneCycleLR(
                           opt, max_lr=0.05, epochs=EPOCHS, steps_per_epoch=steps,
                           cycle_momentum=False), ADAMW),
    # A large threshold and no patience: the rate falls within a few epochs.
    "plateau": (lambda: nncore.ReduceOnPlateau(factor=0.5, patience=0, threshold=0.5),
                lambda opt, steps: SCHED.ReduceLROnPlateau(opt, factor=0.5, patience=0,
                                                           threshold=0.5), SGD),
}


def run(name, batch_size, validation=False):
    make_ours, make_theirs, (ours_optimizer, theirs_optimizer) = CASES[name]
    model, x, y, val = problem()
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        theirs, their_rates = train_torch(model, x, y, theirs_optimizer, make_theirs, batch_size,
                                          val if validation else None)
    finally:
        torch.set_default_dtype(previous)
    history = model.fit(x, y, epochs=EPOCHS, batch_size=batch_size, optimizer=ours_optimizer(),
                        shuffle=False, warm_start=True, schedule=make_ours(),
                        validation_data=val if validation else None)
    return model.params_.copy(), theirs, history.learning_rate, their_rates


@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=["full", "batches", "single"])
@pytest.mark.parametrize("name", list(CASES))
def test_weights_match_torch(name, batch_size):
    ours, theirs, our_rates, their_rates = run(name, batch_size)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=RTOL * np.abs(theirs).max())
    np.testing.assert_allclose(our_rates, their_rates, rtol=RTOL, atol=0)
    assert len(set(their_rates)) > 1  # the schedule changed the rate


@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=["full", "batches", "single"])
def test_plateau_watches_the_validation_loss(batch_size):
    ours, theirs, our_rates, their_rates = run("plateau", batch_size, validation=True)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=RTOL * np.abs(theirs).max())
    np.testing.assert_allclose(our_rates, their_rates, rtol=RTOL, atol=0)
