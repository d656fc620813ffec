"""A model's random generator as plain JSON data, and back, so that a saved
model goes on drawing (shuffles) exactly where it stopped."""
import numpy as np

# The bit generators a state may name: NumPy's own, nothing a file could
# use to reach other code.
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def rng_state(rng):
    """``{"kind": "Generator" or "RandomState", "state": ...}``, JSON data."""
    if isinstance(rng, np.random.Generator):
        return {"kind": "Generator", "state": _plain(rng.bit_generator.state)}
    return {"kind": "RandomState", "state": _plain(rng.get_state(legacy=False))}


def rng_from_state(saved):
    """The generator ``rng_state`` described. Raises ValueError, TypeError or
    KeyError for anything else."""
    if not isinstance(saved, dict) or saved.get("kind") not in ("Generator", "RandomState"):
        raise ValueError(f"rng is {saved!r:.60}, expected a Generator's or RandomState's state")
    state = saved["state"]
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS or (saved["kind"] == "RandomState" and name != "MT19937"):
        raise ValueError(f"rng names the bit generator {name!r:.40}, expected one of "
                         f"{', '.join(_BIT_GENERATORS)}")
    if saved["kind"] == "RandomState":
        rng = np.random.RandomState()
        rng.set_state(state)
        return rng
    bit_generator = getattr(np.random, name)()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
