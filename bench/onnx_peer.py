"""ONNX Runtime as a benchmark peer: the network exported by ``MLP.to_onnx``
(the same weights as nncore's), run by an ``InferenceSession`` on the CPU
with a fixed number of intra-op threads and one inter-op thread."""
try:
    import onnxruntime
except ImportError:  # optional peer
    onnxruntime = None


def onnxruntime_available():
    if onnxruntime is None:
        return False, "onnxruntime is not installed (pip install onnxruntime onnx)"
    try:
        import onnx  # noqa: F401  (MLP.to_onnx needs it)
    except ImportError:
        return False, "onnx is not installed (pip install onnx)"
    return True, onnxruntime.__version__


class OnnxNetwork:
    """``run(X)`` gives the model's outputs for X, on ``threads`` intra-op threads."""

    def __init__(self, model, threads):
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        self.session = onnxruntime.InferenceSession(model.to_onnx().SerializeToString(), options,
                                                    providers=["CPUExecutionProvider"])

    def run(self, X):
        return self.session.run(["Y"], {"X": X})[0]
