"""W11, the modern recipe: an epoch of a 64-256-256-10 GELU network with
dropout 0.1, AdamW and a one-cycle schedule, batches of 128, on
scikit-learn's digits, for nncore and PyTorch eager (the same recipe as its
users write it: nn.Linear, nn.GELU, nn.Dropout, AdamW with the biases in a
group without weight decay, OneCycleLR stepped per batch), float64 and
float32, one thread.

Dropout masks come from each system's own generator, so the timed epochs
cannot agree; the check before the timing runs one epoch of the same recipe
without dropout on copies, where both must take the same steps."""
import numpy as np
from threadpoolctl import threadpool_limits

import nncore
import torch_peer
from checks import AGREE_TORCH_ADAM, agreement
from digits import digits_data
from timing import timed_runs
from workload import System, Workload, copies, peer

W11 = {"W11": np.float64, "W11-f32": np.float32}
W11_SIZES = (64, 256, 256, 10)
W11_BATCH = 128
W11_DROPOUT = 0.1
W11_MAX_RATE = 0.01
W11_DECAY = 0.01
# The one-cycle schedule spans this many epochs, more than any run times,
# so every timed epoch is inside it.
W11_CYCLE_EPOCHS = 100_000
# The dropout-free check epoch: float64 to rounding. In float32, Adam's
# normalised steps magnify rounding in gradients near 0 (the digits' blank
# pixels) to a few percent of the largest change after an epoch.
AGREE_RECIPE = {np.float64: 1e-9, np.float32: AGREE_TORCH_ADAM}


class NncoreRecipe:
    def __init__(self, x, y, dtype, dropout):
        self.x, self.y = x.astype(dtype), y
        self.model = nncore.MLP(W11_SIZES, activation="gelu", output_activation="softmax",
                                dtype=dtype, random_state=0, dropout=dropout)
        self.optimizer = nncore.AdamW(learning_rate=W11_MAX_RATE, weight_decay=W11_DECAY)
        self.schedule = nncore.OneCycle(W11_MAX_RATE, W11_CYCLE_EPOCHS)

    def epoch(self):
        self.model.fit(self.x, self.y, epochs=1, batch_size=W11_BATCH, optimizer=self.optimizer,
                       schedule=self.schedule, shuffle=False, warm_start=True)

    def state(self):
        return copies(self.model.coefs_)


def torch_recipe(x, y, coefs, intercepts, dropout):
    torch = torch_peer.torch
    net = torch_peer.mlp(coefs, intercepts, "gelu", dropout=dropout)
    linears = torch_peer.linears(net)
    optimizer = torch.optim.AdamW(
        [{"params": [layer.weight for layer in linears], "weight_decay": W11_DECAY},
         {"params": [layer.bias for layer in linears], "weight_decay": 0.0}],
        lr=W11_MAX_RATE)
    steps = -(-x.shape[0] // W11_BATCH)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=W11_MAX_RATE, total_steps=W11_CYCLE_EPOCHS * steps,
        cycle_momentum=False)
    net.train()
    trainer = torch_peer.TorchTrainer(net, x, y.astype(np.int64), W11_BATCH,
                                      torch.nn.CrossEntropyLoss(), optimizer, scheduler)
    return trainer, lambda: torch_peer.coefs_of(net)


def w11_workload(name, smoke):
    available, reason = peer("PyTorch eager")
    if not available:
        return reason
    dtype = W11[name]
    x, y = digits_data(smoke)
    x = x.astype(dtype)
    label = (f"{name}: digits, {x.shape[0]:,} samples, {'-'.join(map(str, W11_SIZES))} gelu, "
             f"dropout {W11_DROPOUT}, AdamW, one-cycle, batch {W11_BATCH}, {np.dtype(dtype).name}")
    workload = Workload(name, label, "epoch")

    # The check: one epoch without dropout, from the same start, on copies.
    plain = NncoreRecipe(x, y, dtype, 0.0)
    start = plain.state()
    trainer, torch_state = torch_recipe(x, y, start, copies(plain.model.intercepts_), 0.0)
    with threadpool_limits(limits=1, user_api="blas"):
        plain.epoch()
        trainer.epoch()
    workload.checks.append(agreement(
        f"{name}: one epoch without dropout from the same start",
        {"nncore": (plain.state(), None), "PyTorch eager": (torch_state(), AGREE_RECIPE[dtype])},
        "nncore", start))

    recipe = NncoreRecipe(x, y, dtype, W11_DROPOUT)
    trainer, torch_state = torch_recipe(x, y, recipe.state(), copies(recipe.model.intercepts_),
                                        W11_DROPOUT)
    workload.start = recipe.state()
    workload.add("nncore", System(timed_runs(recipe.epoch), recipe.state, agree=None))
    workload.add("PyTorch eager", System(timed_runs(trainer.epoch), torch_state, agree=None))
    return workload
