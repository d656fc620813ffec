"""The compiled gradients against five-point finite differences of the loss,
for every activation, with and without biases, at several depths."""
import numpy as np
import pytest

from nncore._stack import ACTIVATIONS, DenseStack


def make_stack(widths, activations, biases, n_samples, rng):
    stack = DenseStack(widths, biases, activations, n_samples, np.float64)
    stack.params[...] = rng.standard_normal(stack.n_params)
    x = rng.standard_normal((n_samples, widths[0]))
    y = rng.random((n_samples, widths[-1]))
    stack.bind(x, y)
    return stack


def loss_at(stack):
    stack.forward()
    return stack.backward()


def five_point_gradient(stack, step=1e-4):
    params = stack.params
    gradient = np.empty_like(params)
    for i in range(params.size):
        original = params[i]
        values = []
        for offset in (2, 1, -1, -2):
            params[i] = original + offset * step
            values.append(loss_at(stack))
        params[i] = original
        f2, f1, b1, b2 = values
        gradient[i] = (-f2 + 8 * f1 - 8 * b1 + b2) / (12 * step)
    return gradient


CONFIGS = [
    ((3, 4, 1), ("sigmoid", "sigmoid"), (False, False)),
    ((3, 4, 1), ("sigmoid", "sigmoid"), (True, True)),
    ((2, 5, 3), ("identity", "sigmoid"), (True, False)),
    ((4, 3, 2), ("sigmoid", "identity"), (False, True)),
    ((2, 3, 3, 2, 1), ("sigmoid", "identity", "sigmoid", "sigmoid"), (True, False, True, True)),
    ((1, 1), ("sigmoid",), (True,)),
]


def test_every_activation_is_covered():
    assert {a for _, acts, _ in CONFIGS for a in acts} == set(ACTIVATIONS)


@pytest.mark.parametrize("widths, activations, biases", CONFIGS, ids=str)
@pytest.mark.parametrize("n_samples", [1, 7])
def test_gradient_matches_finite_differences(widths, activations, biases, n_samples, rng):
    stack = make_stack(widths, activations, biases, n_samples, rng)
    loss_at(stack)
    analytic = stack.grads.copy()
    numeric = five_point_gradient(stack)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_gradient_is_not_trivially_zero(rng):
    stack = make_stack((3, 4, 1), ("sigmoid", "sigmoid"), (True, True), 5, rng)
    loss_at(stack)
    assert np.abs(stack.grads).min() > 0
