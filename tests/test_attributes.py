"""NeuralNetwork's attributes behave as documented: input, y, weights1 and
weights2 are assignable live buffers; layer1 and output are read-only
results of the forward pass; nothing can be deleted."""
import numpy as np
import pytest

import nncore

X = [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]
Y = [[0], [1], [1], [0]]


def network():
    np.random.seed(2)
    return nncore.NeuralNetwork(X, Y)


@pytest.mark.parametrize("name", ["output", "layer1"])
@pytest.mark.parametrize("fed_forward", [False, True])
def test_computed_attributes_are_read_only(name, fed_forward):
    nn = network()
    if fed_forward:
        nn.feedforward()
    before = nn.output.copy()
    with pytest.raises(AttributeError, match=rf"{name}: cannot be assigned; it is read-only, "
                                             r"computed by feedforward\(\) and train\(\); assign "
                                             rf"input, y, weights1 or weights2 instead, or copy it "
                                             rf"\(nn\.{name}\.copy\(\)\)"):
        setattr(nn, name, np.zeros_like(before))
    with pytest.raises(AttributeError, match=rf"{name}: cannot be deleted; it is read-only"):
        delattr(nn, name)
    np.testing.assert_array_equal(nn.output, before, strict=True)


@pytest.mark.parametrize("name, shape", [("input", (4, 3)), ("y", (4, 1)),
                                         ("weights1", (3, 4)), ("weights2", (4, 1))])
def test_assignable_attributes_copy_into_their_buffer(name, shape):
    nn = network()
    buffer = getattr(nn, name)
    value = np.full(shape, 0.5)
    setattr(nn, name, value)
    assert getattr(nn, name) is buffer
    np.testing.assert_array_equal(buffer, value)


def test_docstring_matches_behaviour():
    doc = nncore.NeuralNetwork.__doc__
    assert "layer1, output : ndarray, read-only" in doc
    assert "input, y, weights1, weights2 : ndarray" in doc
