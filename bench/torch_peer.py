"""PyTorch eager mode as a benchmark peer.

``TorchNetwork`` is the tutorial's training step: the same tensor operations
as ``nncore.reference.NeuralNetwork``, written out by hand without autograd
(the fastest eager form of this step), so every system does the same
arithmetic. The rest is PyTorch as its users write it: ``nn.Linear`` layers,
autograd, a loss module and ``torch.optim``, one Python call per batch.

Every network takes its starting parameters from nncore's ``coefs_`` and
``intercepts_``: ``nn.Linear`` holds weights as (n_out, n_in), the
transpose of nncore's.
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
    """The tutorial's step: two sigmoid layers without biases, the sum of
    squared errors, weights += gradient."""

    def __init__(self, x, y, weights1, weights2):
        self.input = torch.from_numpy(x.copy())
        self.y = torch.from_numpy(y.copy())
        self.weights1 = torch.from_numpy(weights1.copy())
        self.weights2 = torch.from_numpy(weights2.copy())

    def set_weights(self, weights1, weights2):
        self.weights1.copy_(torch.from_numpy(weights1))
        self.weights2.copy_(torch.from_numpy(weights2))

    def coefs(self):
        return [self.weights1.numpy().copy(), self.weights2.numpy().copy()]

    @torch.no_grad() if torch is not None else (lambda f: f)
    def step(self):
        layer1 = torch.sigmoid(self.input @ self.weights1)
        output = torch.sigmoid(layer1 @ self.weights2)
        delta2 = 2 * (self.y - output) * (output * (1 - output))
        d_weights2 = layer1.T @ delta2
        d_weights1 = self.input.T @ ((delta2 @ self.weights2.T) * (layer1 * (1 - layer1)))
        self.weights1 += d_weights1
        self.weights2 += d_weights2


def mlp(coefs, intercepts, activation, dropout=0.0):
    """nn.Sequential of nn.Linear layers (of the parameters' dtype) holding
    these parameters, with ``activation`` ("tanh", "relu" or "gelu") and,
    if ``dropout``, nn.Dropout between them and none after the last."""
    hidden = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "gelu": torch.nn.GELU}[activation]
    dtype = torch.from_numpy(coefs[0][:0]).dtype
    layers = []
    for i, w in enumerate(coefs):
        if i:
            layers.append(hidden())
            if dropout:
                layers.append(torch.nn.Dropout(dropout))
        layers.append(torch.nn.Linear(w.shape[0], w.shape[1], dtype=dtype))
    model = torch.nn.Sequential(*layers)
    set_params(model, coefs, intercepts)
    return model


def linears(model):
    return [m for m in model if isinstance(m, torch.nn.Linear)]


@torch.no_grad() if torch is not None else (lambda f: f)
def set_params(model, coefs, intercepts):
    for layer, w, b in zip(linears(model), coefs, intercepts):
        layer.weight.copy_(torch.from_numpy(w.T))
        layer.bias.copy_(torch.from_numpy(b))


def coefs_of(model):
    """The weights as nncore's coefs_: (n_in, n_out) arrays."""
    return [layer.weight.detach().numpy().T.copy() for layer in linears(model)]


class TorchTrainer:
    """One epoch of minibatch training per ``epoch()`` call, in order:
    forward, loss, backward, optimizer step for every batch."""

    def __init__(self, model, x, y, batch_size, loss, optimizer, scheduler=None):
        self.model = model
        self.batches = list(zip(torch.from_numpy(x).split(batch_size), torch.from_numpy(y).split(batch_size)))
        self.loss = loss
        self.optimizer = optimizer
        self.scheduler = scheduler  # stepped after every batch (OneCycleLR's way)

    def epoch(self):
        model, loss, optimizer, scheduler = self.model, self.loss, self.optimizer, self.scheduler
        for xb, yb in self.batches:
            optimizer.zero_grad()
            loss(model(xb), yb).backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()


def half_squared_error(output, target):
    """Half the sum of squares over outputs, averaged over samples: nncore's
    (and scikit-learn's) squared_error."""
    return 0.5 * torch.nn.functional.mse_loss(output, target, reduction="sum") / output.shape[0]
