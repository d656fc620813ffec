"""What exists: the names of activations, losses and optimizers, and which go together.

The numeric codes the engine uses come from the kernels themselves
(``_kernels.ACTIVATION_CODES``, ``_kernels.LOSS_CODES``,
``_engine.OPTIMIZER_CODES``), so a name and its code cannot drift apart.
"""
from nncore._engine import OPTIMIZER_CODES
from nncore._kernels import ACTIVATION_CODES, LOSS_CODES

HIDDEN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "leaky_relu", "gelu", "silu", "elu",
                      "softplus")
OUTPUT_ACTIVATIONS = HIDDEN_ACTIVATIONS + ("softmax", "exp")
LOSSES = tuple(LOSS_CODES)
OPTIMIZERS = tuple(OPTIMIZER_CODES)
# The losses for real-valued targets, which take any output activation.
REGRESSION_LOSSES = ("squared_error", "absolute_error", "huber")

# Losses whose gradient is fused with the one output activation they take
# (p - y in the pre-activations): numerically stable, and the only way these
# losses are offered.
FUSED_OUTPUT = {"binary_cross_entropy": "logistic", "cross_entropy": "softmax", "poisson": "exp"}
# The loss an output activation implies when no loss is given.
DEFAULT_LOSS = {"softmax": "cross_entropy", "logistic": "binary_cross_entropy", "exp": "poisson"}

# Every (output activation, loss) pair a model may have.
VALID_HEADS = tuple(
    (output, loss) for output in OUTPUT_ACTIVATIONS for loss in LOSSES
    if FUSED_OUTPUT.get(loss, output) == output
)

assert set(OUTPUT_ACTIVATIONS) == set(ACTIVATION_CODES)
