"""Writes the format_1_*.npz models and what training on from them gives. Run once,
by nncore at file format version 1 (before weight decay and clipping): the
files it made are kept as they were, so later versions are checked against them.

    python tests/data/make_format_1.py tests/data
"""
import pathlib
import sys

import numpy as np

import nncore

CASES = {
    # name: (dtype, optimizer)
    "sgd_nesterov_f64": (np.float64, nncore.SGD(learning_rate=0.05, momentum=0.9, nesterov=True)),
    "sgd_momentum_f32": (np.float32, nncore.SGD(learning_rate=0.05, momentum=0.8)),
    "sgd_f32": (np.float32, nncore.SGD(learning_rate=0.1)),
    "adam_f32": (np.float32, nncore.Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.99)),
    "adam_f64": (np.float64, nncore.Adam(learning_rate=0.01)),
}


def data(dtype):
    # The tests pin the sin values this gave (SIN_3X in
    # test_persistence_weight_decay.py): NumPy's sin varies in the last bit.
    x = np.linspace(-1, 1, 18).reshape(6, 3).astype(dtype)
    y = np.stack([np.sin(3 * x[:, 0]), x[:, 1] * x[:, 2]], axis=1).astype(dtype)
    return x, y


def main(folder):
    folder = pathlib.Path(folder)
    expected = {}
    for name, (dtype, optimizer) in CASES.items():
        x, y = data(dtype)
        model = nncore.MLP((3, 4, 2), activation="tanh", dtype=dtype, random_state=3)
        model.fit(x, y, epochs=2, batch_size=1, optimizer=optimizer, shuffle=False, l2=0.01)
        model.fit(x, y, epochs=2, batch_size=4, optimizer=optimizer, shuffle=False, l2=0.01,
                  warm_start=True)
        model.save(folder / f"format_1_{name}.npz")
        # Training on from the saved state, in both paths.
        model.partial_fit(x, y, batch_size=1, shuffle=False)
        model.partial_fit(x, y, batch_size=3, shuffle=False)
        expected[name] = model.params_.copy()
    np.savez(folder / "format_1_continued.npz", **expected)


if __name__ == "__main__":
    main(sys.argv[1])
