"""The tutorial's training step in PyTorch eager mode, as a benchmark peer.

The same tensor operations as ``nncore.reference.NeuralNetwork`` (written
out by hand, no autograd: the fastest eager form of this step), so every
system does the same arithmetic.
"""
try:
    import torch
except ImportError:  # optional peer
    torch = None


def torch_available():
    if torch is None:
        return False, "torch is not installed (pip install torch==2.13.0)"
    return True, torch.__version__


class TorchNetwork:
    def __init__(self, x, y, weights1, weights2):
        self.input = torch.from_numpy(x.copy())
        self.y = torch.from_numpy(y.copy())
        self.weights1 = torch.from_numpy(weights1.copy())
        self.weights2 = torch.from_numpy(weights2.copy())

    @torch.no_grad() if torch is not None else (lambda f: f)
    def step(self):
        layer1 = torch.sigmoid(self.input @ self.weights1)
        output = torch.sigmoid(layer1 @ self.weights2)
        delta2 = 2 * (self.y - output) * (output * (1 - output))
        d_weights2 = layer1.T @ delta2
        d_weights1 = self.input.T @ ((delta2 @ self.weights2.T) * (layer1 * (1 - layer1)))
        self.weights1 += d_weights1
        self.weights2 += d_weights2
