"""fit and partial_fit with a schedule: without one nothing changes, the
model trains its own copy, and the schedule goes on across warm starts,
partial_fit, save/load and pickling to the bits of one straight run."""
import pickle

import numpy as np
import pytest

import nncore

SCHEDULES = {
    "step": lambda: nncore.StepDecay(2, gamma=0.5),
    "exponential": lambda: nncore.ExponentialDecay(0.7),
    "cosine": lambda: nncore.CosineDecay(4, min_learning_rate=1e-4),
    "onecycle": lambda: nncore.OneCycle(0.3, 5),
    "plateau": lambda: nncore.ReduceOnPlateau(factor=0.5, patience=0, threshold=0.5),
}
BATCH_SIZES = [None, 3, 1]


def problem(dtype=np.float64, optimizer="sgd"):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((10, 3)).astype(dtype)
    y = rng.random((10, 2)).astype(dtype)
    return nncore.MLP((3, 4, 2), activation="tanh", dtype=dtype, random_state=0), x, y


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=["full", "batches", "single"])
def test_a_constant_schedule_gives_the_bits_of_none(dtype, batch_size, optimizer):
    dtype = dtype.type
    plain, x, y = problem(dtype)
    history = plain.fit(x, y, epochs=4, batch_size=batch_size, optimizer=optimizer,
                        learning_rate=0.05)
    scheduled, _, _ = problem(dtype)
    scheduled.fit(x, y, epochs=4, batch_size=batch_size, optimizer=optimizer,
                  learning_rate=0.05, schedule=nncore.ExponentialDecay(1.0))
    assert plain.params_.tobytes() == scheduled.params_.tobytes()
    assert history.learning_rate == [0.05] * 4 == scheduled.history_.learning_rate
    assert scheduled.history_.loss == history.loss


def test_the_schedule_changes_training():
    plain, x, y = problem()
    plain.fit(x, y, epochs=4, batch_size=3, learning_rate=0.05)
    scheduled, _, _ = problem()
    history = scheduled.fit(x, y, epochs=4, batch_size=3, learning_rate=0.05,
                            schedule=nncore.ExponentialDecay(0.5))
    assert history.learning_rate == [0.05, 0.025, 0.0125, 0.00625]
    assert not np.array_equal(plain.params_, scheduled.params_)


def test_the_callers_schedule_is_not_changed():
    model, x, y = problem()
    schedule = nncore.ReduceOnPlateau(patience=0)
    fresh = nncore.ReduceOnPlateau(patience=0)
    model.fit(x, y, epochs=3, schedule=schedule)
    assert schedule == fresh and model.schedule_ is not schedule
    assert model.schedule_.get_state()["epoch"] == 3


def test_a_fresh_fit_restarts_the_schedule():
    model, x, y = problem()
    first = model.fit(x, y, epochs=3, schedule=nncore.StepDecay(1, gamma=0.5)).learning_rate
    again = model.fit(x, y, epochs=3, schedule=model.schedule_).learning_rate
    assert first == again == [0.01, 0.005, 0.0025]


def test_fit_refuses_what_is_not_a_schedule():
    model, x, y = problem()
    with pytest.raises(TypeError, match="schedule: got 'cosine', expected None or a schedule"):
        model.fit(x, y, epochs=1, schedule="cosine")
    with pytest.raises(TypeError, match="schedule: got 0.5"):
        model.partial_fit(x, y, schedule=0.5)


def test_one_cycle_past_its_end_changes_nothing():
    model, x, y = problem()
    model.fit(x, y, epochs=2, batch_size=5, schedule=nncore.OneCycle(0.1, 2))
    params, state = model.params_.copy(), model.schedule_.get_state()
    history = model.history_
    with pytest.raises(ValueError, match="schedule: got 6 steps of OneCycle, expected at most its 4"):
        model.partial_fit(x, y, batch_size=5)
    assert model.params_.tobytes() == params.tobytes() and model.schedule_.get_state() == state
    assert model.history_ is history  # refused before anything changed


def test_a_fit_longer_than_its_one_cycle_is_refused_before_it_starts():
    model, x, y = problem()
    params = model.params_.copy()
    with pytest.raises(ValueError, match="schedule: got 6 steps of OneCycle, expected at most its 4"):
        model.fit(x, y, epochs=3, batch_size=5, schedule=nncore.OneCycle(0.1, 2))
    assert model.params_.tobytes() == params.tobytes()
    assert model.history_ is None and model.schedule_ is None


def straight(name, batch_size, optimizer, epochs=5):
    model, x, y = problem()
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                        shuffle=False, schedule=SCHEDULES[name]())
    return model, history


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=["full", "batches", "single"])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_save_load_continues_the_schedule(name, batch_size, optimizer, tmp_path):
    whole, whole_history = straight(name, batch_size, optimizer)
    first, first_history = straight(name, batch_size, optimizer, epochs=3)
    _, x, y = problem()
    first.save(tmp_path / "model.npz")
    loaded = nncore.load(tmp_path / "model.npz")
    assert loaded.schedule_ == first.schedule_
    rest = loaded.fit(x, y, epochs=2, batch_size=batch_size, optimizer=optimizer, shuffle=False,
                      warm_start=True, schedule=SCHEDULES[name]())
    assert loaded.params_.tobytes() == whole.params_.tobytes()
    assert first_history.learning_rate + rest.learning_rate == whole_history.learning_rate
    assert first_history.loss + rest.loss == whole_history.loss
    assert len(set(whole_history.learning_rate)) > 1


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_pickle_and_partial_fit_continue_the_schedule(name):
    whole, whole_history = straight(name, 3, "sgd")
    first, first_history = straight(name, 3, "sgd", epochs=3)
    _, x, y = problem()
    copy = pickle.loads(pickle.dumps(first))
    assert copy.schedule_ == first.schedule_
    rates = first_history.learning_rate
    for _ in range(2):
        rates += copy.partial_fit(x, y, batch_size=3, shuffle=False).learning_rate
    assert copy.params_.tobytes() == whole.params_.tobytes()
    assert rates == whole_history.learning_rate


def test_a_model_without_a_schedule_saves_none(tmp_path):
    model, x, y = problem()
    model.fit(x, y, epochs=2)
    assert model._get_state()["schedule"] is None
    model.save(tmp_path / "model.npz")
    assert nncore.load(tmp_path / "model.npz").schedule_ is None


@pytest.mark.parametrize("damage, message", [
    ({"config": {"name": "step", "step_size": 0, "gamma": 0.1}, "state": {}}, "step_size: got 0"),
    ({"config": {"name": "exponential", "gamma": 0.5}}, "expected an object of config and state"),
    ({"config": {"name": "exponential", "gamma": 0.5},
      "state": {"epoch": -1, "rate": 0.1, "monitored_loss": None}}, "schedule state epoch is -1"),
    ({"config": {"name": "exponential", "gamma": 0.5},
      "state": {"epoch": 1, "rate": "0.1", "monitored_loss": None}}, "schedule state rate is '0.1'"),
])
def test_a_damaged_schedule_state_is_refused(damage, message):
    model, x, y = problem()
    state = model._get_state()
    state["schedule"] = damage
    with pytest.raises(ValueError, match=message):
        model._set_state(state)


@pytest.mark.parametrize("name", ["format_1_adam_f64.npz", "format_1_sgd_f32.npz"])
def test_files_without_a_schedule_load_without_one(name):
    import os
    model = nncore.load(os.path.join(os.path.dirname(__file__), "data", name))
    assert model.schedule_ is None and model._get_state()["schedule"] is None


def test_the_engine_refuses_too_few_rates():
    model, x, y = problem()
    model._engine.reserve(3)
    with pytest.raises(ValueError, match=r"rates: got length 3, expected at least 8 \(one per step\)"):
        model._engine.fit_epochs(x, y, None, None, 2, 3, None, rates=np.full(3, 0.1))
    assert model._engine.epochs_done == 0
