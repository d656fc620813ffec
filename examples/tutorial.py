"""The tutorial's three classes on nncore's compiled core.

    python examples/tutorial.py [--smoke]
"""
import argparse

import numpy as np

import nncore


def main(argv: "list[str] | None" = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="fewer training steps")
    args = parser.parse_args(argv)

    neuron = nncore.Neuron(np.array([0.0, 1.0]), 4.0)
    print("Neuron([0, 1], 4).feedforward([2, 3]) =", neuron.feedforward(np.array([2.0, 3.0])))
    print("OurNeuralNetwork().feedforward([2, 3]) =",
          nncore.OurNeuralNetwork().feedforward(np.array([2.0, 3.0])))

    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    np.random.seed(1)
    network = nncore.NeuralNetwork(X, y)
    network.train(100 if args.smoke else 1500)
    print("XOR after training:", np.round(network.output.ravel(), 3))


if __name__ == "__main__":
    main()
