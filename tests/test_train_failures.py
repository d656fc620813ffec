"""A train() call that fails before any step leaves the network as it was:
not fed forward, weights and epochs_done unchanged. A step that ran (even
one that diverged) counts as a forward pass."""
import numpy as np
import pytest

import nncore


def network(xor_data, **options):
    np.random.seed(3)
    return nncore.NeuralNetwork(*xor_data, **options)


def snapshot(nn):
    return nn.weights1.copy(), nn.weights2.copy(), nn.epochs_done


def assert_not_fed_forward(nn):
    with pytest.raises(AttributeError, match=r"layer1: not computed yet; call feedforward\(\) first"):
        nn.layer1
    with pytest.raises(RuntimeError, match=r"backprop\(\): call feedforward\(\) first"):
        nn.backprop()


def assert_unchanged(nn, before):
    weights1, weights2, epochs_done = before
    np.testing.assert_array_equal(nn.weights1, weights1, strict=True)
    np.testing.assert_array_equal(nn.weights2, weights2, strict=True)
    assert nn.epochs_done == epochs_done


@pytest.mark.parametrize("record_loss", ["yes", 1, None, np.array([True, False]), 1.0],
                         ids=["str", "int", "None", "array", "float"])
def test_bad_record_loss_changes_nothing(record_loss, xor_data):
    nn = network(xor_data)
    before = snapshot(nn)
    with pytest.raises(TypeError, match=r"record_loss: got .* of type \w+, expected True or False"):
        nn.train(5, record_loss=record_loss)
    assert_unchanged(nn, before)
    assert_not_fed_forward(nn)


def test_numpy_bool_record_loss_is_accepted(xor_data):
    losses = network(xor_data).train(2, record_loss=np.True_)
    assert losses.shape == (2,)


def test_failed_loss_allocation_changes_nothing(xor_data, monkeypatch):
    nn = network(xor_data)
    before = snapshot(nn)

    def no_memory(*args, **kwargs):
        raise MemoryError("no memory for the losses")

    with monkeypatch.context() as patch:
        patch.setattr(np, "zeros", no_memory)
        with pytest.raises(MemoryError, match="no memory for the losses"):
            nn.train(5, record_loss=True)
    assert_unchanged(nn, before)
    assert_not_fed_forward(nn)


def test_failure_after_a_train_keeps_the_last_forward_pass(xor_data):
    nn = network(xor_data)
    nn.train(4)
    layer1 = nn.layer1.copy()
    with pytest.raises(TypeError, match="record_loss"):
        nn.train(5, record_loss="yes")
    assert nn.epochs_done == 4
    np.testing.assert_array_equal(nn.layer1, layer1, strict=True)
    nn.backprop()


def test_zero_epochs_is_not_a_forward_pass(xor_data):
    nn = network(xor_data)
    nn.train(0)
    assert_not_fed_forward(nn)


def test_a_diverged_first_step_ran_its_forward_pass(xor_data):
    # Targets of 1e200 make the first loss inf: the step stops after its forward pass.
    x, y = xor_data
    nn = network((x, np.array(y) * 1e200))
    with pytest.raises(ValueError, match="diverged at step 0"):
        nn.train(3)
    assert nn.epochs_done == 0
    reference = network((x, np.array(y) * 1e200))
    reference.feedforward()
    np.testing.assert_array_equal(nn.layer1, reference.layer1, strict=True)
    np.testing.assert_array_equal(nn.output, reference.output, strict=True)
