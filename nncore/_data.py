"""Data sets embedded in the package, for the demo and the benchmark."""
import numpy as np

# The tutorial's XOR set: the third column is a constant 1 that stands in
# for the bias the network does not have.
XOR_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
XOR_Y = np.array([[0], [1], [1], [0]])
