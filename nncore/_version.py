"""The version, in one place: pyproject.toml reads it at build time without
importing the compiled package, and ``nncore.__version__`` re-exports it."""
__version__ = "0.1.0"
