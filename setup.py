"""Build script: cythonize the kernels. Metadata lives in pyproject.toml."""
import glob
import os
import shutil

import numpy
from Cython.Build import cythonize
from Cython.Tempita import sub
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

DEBUG = os.environ.get("NNCORE_DEBUG", "0") == "1"

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": False,
    "initializedcheck": DEBUG,
    "cdivision": True,
}

# -ffp-contract=off: every CPU and every dispatch target rounds the same way,
# so results are bitwise reproducible. No -ffast-math and no -march=native.
# The debug build adds AddressSanitizer, which checks the kernels' pointer
# accesses that Cython's bounds checks cannot see; run it with libasan
# preloaded (see README).
# -fno-math-errno: sqrt need not set errno, so the optimizer loops vectorize;
# results are unchanged.
# Release builds carry no debug information (Python's own CFLAGS add -g, and
# the sections would make up most of the wheel); the symbol table stays, so
# profilers still name the kernels.
SANITIZE = ["-fsanitize=address", "-fno-omit-frame-pointer"]
COMPILE_ARGS = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-tree-loop-distribute-patterns",
                "--param=vect-max-version-for-alias-checks=64"] + (["-O0", "-g"] + SANITIZE if DEBUG else ["-g0"])
LINK_ARGS = SANITIZE if DEBUG else ["-Wl,--strip-debug"]

# The README ships inside the package: its examples are tested from the
# installed wheel, where the source tree is not at hand.
if os.path.exists("README.md"):
    shutil.copyfile("README.md", os.path.join("nncore", "README.md"))

# Templates (*.pyx.tp) expand to one class per dtype, as scikit-learn's do.
for template in ("nncore/_engine.pyx.tp",):
    with open(template) as source:
        generated = sub(source.read())
    target = template[: -len(".tp")]
    with open(target, "w") as out:
        out.write(generated)

extensions = [
    Extension(
        f"nncore.{name}",
        [f"nncore/{name}.pyx"],
        include_dirs=["nncore", numpy.get_include()],
        # The C headers the kernels include: a change to one rebuilds them all.
        depends=sorted(glob.glob("nncore/*.h")),
        extra_compile_args=COMPILE_ARGS,
        extra_link_args=LINK_ARGS,
        # Recorded so benchmarks can report how the kernels were built.
        define_macros=[("NNCORE_COMPILE_ARGS", '"' + " ".join(COMPILE_ARGS) + '"'),
                       ("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for name in ("_kernels", "_kernel_views", "_engine", "_exclusive")
]


class CythonizeAndBuild(build_ext):
    """Cythonize when the extensions are built, once, and not for an sdist
    or the metadata (they ship and need only the .pyx files)."""

    def run(self):
        # setuptools has prepared these Extension objects by now: give them the
        # generated C sources rather than swapping in cythonize's copies.
        generated = {ext.name: ext.sources for ext in cythonize(self.extensions, compiler_directives=DIRECTIVES)}
        for ext in self.extensions:
            ext.sources = generated[ext.name]
        super().run()

    def build_extensions(self):
        # The interpreter's LDSHARED can carry an -rpath of the machine Python
        # was built on; the extensions need only libc, so it would only leak
        # that path into the wheel.
        self.compiler.linker_so = [arg for arg in self.compiler.linker_so
                                   if not arg.startswith("-Wl,-rpath")]
        super().build_extensions()


setup(ext_modules=extensions, cmdclass={"build_ext": CythonizeAndBuild})
