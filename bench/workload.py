"""What every workload module builds: a Workload of Systems, each a way to
run one system and read its state, and the optional peers they use."""
import numpy as np

import sklearn_peer
import torch_peer
from c_peer import c_export_available
from checks import AGREE_F64
from fann_peer import fann_available
from onnx_peer import onnxruntime_available

PEERS = {"scikit-learn": sklearn_peer.sklearn_available, "PyTorch eager": torch_peer.torch_available,
         "FANN": fann_available, "ONNX Runtime": onnxruntime_available,
         "C export": c_export_available}


class System:
    """One system of a workload.

    run(count) does ``count`` runs (a step, an epoch or a call each). If it
    times them itself, leaving out untimed work such as putting starting
    parameters back, it returns those seconds; otherwise None, and the
    caller times the whole call. state() gives what the checks compare: the
    weights, as nncore's coefs_, or a prediction. agree: how closely its
    change must match the workload's baseline (None: not compared).
    """

    def __init__(self, run, state, blas_threads=1, agree=AGREE_F64):
        self.run = run
        self.state = state
        self.blas_threads = blas_threads
        self.agree = agree


class Workload:
    """The systems of one workload and how to read their times.

    unit: what one reported time is for ("step", "sample", "epoch", "call");
    per: units in one run (samples in an epoch for W3). restore: every run
    starts from the same starting parameters, so after the timing all
    systems must agree. kind: "train", "fit" (a whole fit per run) or
    "predict", for the checks. predict_rtol: how closely predictions must
    agree with nncore's (the summation order differs between systems).
    """

    def __init__(self, name, label, unit, per=1, restore=False, kind="train", predict_rtol=1e-12):
        self.name = name
        self.label = label
        self.unit = unit
        self.per = per
        self.restore = restore
        self.kind = kind
        self.predict_rtol = predict_rtol
        self.systems = {}
        self.skipped = {}
        self.checks = []
        self.start = None   # the starting weights (list of arrays), for the checks that need them
        self.memory = {}    # system: its fit's peak memory (memory.py), where measured
        self._closers = []

    def add(self, name, system):
        self.systems[name] = system

    def skip(self, name, reason):
        self.skipped[name] = reason

    def on_close(self, close):
        self._closers.append(close)

    def close(self):
        for close in self._closers:
            close()


def peer(name):
    """(available, reason) for an optional peer."""
    available, detail = PEERS[name]()
    return available, (None if available else detail)


def copies(arrays):
    return [np.array(a, copy=True) for a in arrays]
