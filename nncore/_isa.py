"""NNCORE_ISA=baseline|avx2|avx512 forces every dispatched kernel onto one
instruction set (see _dispatch.h), so that tests can run each build on one
machine. Each compiled module reads the variable when it loads; this module,
imported first by nncore, rejects a value that is unknown or that the CPU
cannot run, which the modules would otherwise ignore."""
import os

from nncore._kernels import ISA_NAMES, ISA_SUPPORTED
from nncore._validation import check_isa

# The forced instruction set, or None for the best this CPU runs.
FORCED = check_isa(os.environ.get("NNCORE_ISA"), ISA_SUPPORTED, ISA_NAMES)
