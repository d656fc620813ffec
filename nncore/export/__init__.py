"""Deployment formats for trained networks: ONNX (``onnx.py``) and C source (``c.py``).

Both read a model through its public attributes only (``layer_sizes``, the
activations, ``coefs_``, ``intercepts_``, ``dtype``), so what they export is
what ``predict`` computes.
"""
