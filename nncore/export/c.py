"""A trained network as dependency-free C99: ``{name}.h`` and ``{name}.c``.

The generated code computes what ``MLP.predict`` computes on one row, with
the same operations in the same order, so it gives the same bits:

- each layer's sums run over the inputs in order from 0, then the bias is
  added, as nncore's own loops do for a single row (batches of more than one
  row may go to BLAS in ``predict``, which sums in its own order);
- the activations use nncore's exp and expm1 polynomials and element
  formulas, embedded from ``nncore/_scalar_math.h`` (and the erfc table it
  includes, ``nncore/_erfcx_table.h``), the headers nncore's kernels are
  built from, so the two cannot drift apart;
- ``#pragma`` turns floating-point contraction (FMA) off, and ``-ffast-math``
  and x87 arithmetic stop the build with ``#error``.

The code needs only ``<stddef.h>``, ``<stdint.h>``, ``<string.h>`` and
``<float.h>``: no libm, no allocation, no mutable global state.
"""
from __future__ import annotations

import importlib.resources
import os
from typing import Any, Union

import numpy as np

from nncore._atomic import atomic_write
from nncore._validation import check_c_identifier
from nncore.export._network import Layer, Network, network_of

# Values per line in the weight arrays.
_PER_LINE = 4

# The activations computed as from(x, arg(x), lead(x)) (see _scalar_math.h):
# their element functions, and whether float32 computes in float64, as
# _math.h's NNCORE_ACTIVATION_VARIANTS pair them.
_MAPPED = {
    "gelu": ("gelu_arg", "no_lead", "gelu_from", True),
    "silu": ("minus_clamped", "no_lead", "silu_from", False),
    "elu": ("elu_arg", "positive_part", "elu_from", False),
    "softplus": ("softplus_arg", "positive_part", "softplus_from", True),
}


def scalar_math_source() -> str:
    """The text of ``nncore/_scalar_math.h`` as installed with the package."""
    return _package_text("_scalar_math.h")


def erfcx_table_source() -> str:
    """The text of ``nncore/_erfcx_table.h`` (GELU's erfc), which
    ``_scalar_math.h`` includes; embedded first, its guard skips that include."""
    return _package_text("_erfcx_table.h")


def _package_text(filename: str) -> str:
    return importlib.resources.files("nncore").joinpath(filename).read_text()


def write_c(model: Any, directory: Union[str, os.PathLike[str]], name: str = "model") -> None:
    """Write ``{name}.h`` and ``{name}.c`` for ``model`` (an ``nncore.MLP``) into ``directory``."""
    name = check_c_identifier("name", name)
    directory = os.fspath(directory)
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise ValueError(f"directory: got {directory!r}, which is a file; expected a directory")
    network = network_of(model)
    os.makedirs(directory, exist_ok=True)
    for filename, text in ((f"{name}.h", header(network, name)),
                           (f"{name}.c", source(network, name))):
        with atomic_write(os.path.join(directory, filename), "w", encoding="utf-8") as file:
            file.write(text)


def _ctype(network: Network) -> str:
    return "float" if network.dtype == np.float32 else "double"


def _suffix(network: Network) -> str:
    return "f32" if network.dtype == np.float32 else "f64"


def _literal(value: Any, network: Network) -> str:
    """An exact C literal: hexadecimal, so no decimal rounding on the way."""
    text = float(value).hex()
    return text + "f" if network.dtype == np.float32 else text


def header(network: Network, name: str) -> str:
    """The text of ``{name}.h``."""
    macro, ctype = name.upper(), _ctype(network)
    return f"""\
/* {name}: a {'-'.join(str(w) for w in _widths(network))} network exported by nncore
 * ({ctype}). {name}_predict gives the bits of nncore's MLP.predict on one row
 * when built with ISO C99 arithmetic (no -ffast-math). */
#ifndef {macro}_H
#define {macro}_H

#include <stddef.h>

#define {macro}_N_INPUTS {network.n_inputs}
#define {macro}_N_OUTPUTS {network.n_outputs}

#ifdef __cplusplus
extern "C" {{
#endif

/* y[0:{macro}_N_OUTPUTS] := the network's outputs for x[0:{macro}_N_INPUTS]. */
void {name}_predict(const {ctype} *x, {ctype} *y);

/* The same for n rows: x is n x {macro}_N_INPUTS, y is n x {macro}_N_OUTPUTS, row-major. */
void {name}_predict_batch(const {ctype} *x, size_t n, {ctype} *y);

#ifdef __cplusplus
}}
#endif

#endif
"""


def _widths(network: Network) -> list[int]:
    return [network.n_inputs] + [int(layer.weights.shape[1]) for layer in network.layers]


def _array(name: str, values: np.ndarray, network: Network) -> str:
    literals = [_literal(v, network) for v in values.ravel()]
    lines = [", ".join(literals[i:i + _PER_LINE]) for i in range(0, len(literals), _PER_LINE)]
    body = ",\n    ".join(lines)
    return f"static const {_ctype(network)} {name}[{len(literals)}] = {{\n    {body}\n}};\n"


def _activation(layer: Layer, network: Network, z: str, n: int) -> str:
    """C statements applying the layer's activation to z[0:n] in place, as
    nncore's kernels do (the element formulas come from _scalar_math.h)."""
    sfx, ctype = _suffix(network), _ctype(network)
    element = {
        "identity": None,
        "logistic": f"nncore_sigmoid_of_{sfx}(nncore_clamp_{sfx}(-{z}[j], "
                    f"NNCORE_SIGMOID_LO_{sfx}, NNCORE_SIGMOID_HI_{sfx}))",
        "tanh": f"nncore_tanh_of_{sfx}(nncore_expm1_{sfx}(nncore_tanh_arg_{sfx}({z}[j])), {z}[j])",
        "relu": f"{z}[j] <= 0 ? 0 : {z}[j]",
        "leaky_relu": f"{z}[j] <= 0 ? "
                      f"{_literal(network.dtype.type(network.negative_slope), network)} * {z}[j]"
                      f" : {z}[j]",
        "exp": f"nncore_exp_full_{sfx}(nncore_clamp_{sfx}({z}[j], "
               f"NNCORE_EXP_ANY_LO_{sfx}, NNCORE_EXP_ANY_HI_{sfx}))",
    }
    if layer.activation in _MAPPED:
        element[layer.activation] = _mapped(layer.activation, network, z)
    if layer.activation == "softmax":
        # As _kernels.pxd's softmax_forward: shift by the row's max, exp, sum in order, divide.
        return f"""\
    {{
        {ctype} top = {z}[0], total = 0;
        for (j = 1; j < {n}; j++)
            if ({z}[j] > top)
                top = {z}[j];
        for (j = 0; j < {n}; j++)
            {z}[j] = nncore_exp_{sfx}(nncore_clamp_{sfx}({z}[j] - top, NNCORE_SIGMOID_LO_{sfx}, NNCORE_SIGMOID_HI_{sfx}));
        for (j = 0; j < {n}; j++)
            total += {z}[j];
        for (j = 0; j < {n}; j++)
            {z}[j] /= total;
    }}
"""
    formula = element[layer.activation]
    if formula is None:
        return ""
    return f"""\
    for (j = 0; j < {n}; j++)
        {z}[j] = {formula};
"""


def _mapped(activation: str, network: Network, z: str) -> str:
    """The element formula of one of ``_MAPPED``'s activations for z[j]."""
    arg, lead, from_, in_f64 = _MAPPED[activation]
    if in_f64 and network.dtype == np.float32:
        # in float64, rounded once, as the kernels' float32 loops do
        x = f"(double) {z}[j]"
        return f"(float) nncore_{from_}_f64({x}, nncore_{arg}_f64({x}), nncore_{lead}_f64({x}))"
    sfx, x = _suffix(network), f"{z}[j]"
    return f"nncore_{from_}_{sfx}({x}, nncore_{arg}_{sfx}({x}), nncore_{lead}_{sfx}({x}))"


def source(network: Network, name: str) -> str:
    """The text of ``{name}.c``."""
    ctype, widths = _ctype(network), _widths(network)
    parts = [f"""\
/* {name}: generated by nncore; see {name}.h. C99 and the C standard library only. */
#include <float.h>
#include <stddef.h>

#include "{name}.h"

#ifdef __FAST_MATH__
#error "{name}.c must not be built with -ffast-math: it changes the results; see nncore's README"
#endif
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "{name}.c needs float and double arithmetic in their own precision (on x86-32: -msse2 -mfpmath=sse)"
#endif
/* No fused multiply-add: nncore rounds every product and every sum. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#else
#pragma STDC FP_CONTRACT OFF
#endif

/* nncore/_erfcx_table.h and nncore/_scalar_math.h, as nncore's kernels are
 * built from them. Not every function in them is used here. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#endif
""", erfcx_table_source(), scalar_math_source(), """\
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

"""]
    for l, layer in enumerate(network.layers):
        parts.append(_array(f"{name}_w{l}", layer.weights, network))
        if layer.bias is not None:
            parts.append(_array(f"{name}_b{l}", layer.bias, network))
    parts.append(f"""
/* z := x @ w (+ b), x:(n_in,) w:(n_in, n_out) row-major: each z[j] summed over
 * the inputs in order from 0, then the bias added, as nncore's loops do. */
static void {name}_dense(const {ctype} *x, const {ctype} *w, const {ctype} *b, {ctype} *z,
                         size_t n_in, size_t n_out)
{{
    size_t i, j;
    for (j = 0; j < n_out; j++)
        z[j] = 0;
    for (i = 0; i < n_in; i++) {{
        const {ctype} xi = x[i];
        const {ctype} *wi = w + i * n_out;
        for (j = 0; j < n_out; j++)
            z[j] += xi * wi[j];
    }}
    if (b != NULL)
        for (j = 0; j < n_out; j++)
            z[j] += b[j];
}}

void {name}_predict(const {ctype} *x, {ctype} *y)
{{
""")
    hidden = max(widths[1:-1], default=0)
    # Hidden layers alternate between two buffers on the stack.
    buffers = [f"h{l}[{hidden}]" for l in range(min(2, len(network.layers) - 1))]
    if buffers:
        parts.append(f"    {ctype} {', '.join(buffers)};\n")
    parts.append("    size_t j;\n")
    inputs = "x"
    for l, layer in enumerate(network.layers):
        last = l == len(network.layers) - 1
        z = "y" if last else f"h{l % 2}"
        bias = f"{name}_b{l}" if layer.bias is not None else "NULL"
        parts.append(f"    {name}_dense({inputs}, {name}_w{l}, {bias}, {z}, {widths[l]}, {widths[l + 1]});\n")
        parts.append(_activation(layer, network, z, widths[l + 1]))
        inputs = z
    if all(layer.activation == "identity" for layer in network.layers):
        parts.append("    (void) j;\n")
    parts.append(f"""}}

void {name}_predict_batch(const {ctype} *x, size_t n, {ctype} *y)
{{
    size_t i;
    for (i = 0; i < n; i++)
        {name}_predict(x + i * {network.n_inputs}, y + i * {network.n_outputs});
}}
""")
    return "".join(parts)
