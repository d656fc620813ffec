"""``python -m nncore``: the tutorial on the compiled core, beside the reference.

Prints the tutorial's two numbers, trains the embedded XOR set with the
NumPy reference and with nncore from the same seed, and shows both outputs
and how much faster nncore is.
"""
import argparse
import time

import numpy as np

import nncore
from nncore import reference
from nncore._data import XOR_X, XOR_Y


def seconds(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def python_loop(network, iterations):
    for _ in range(iterations):
        network.feedforward()
        network.backprop()
    network.feedforward()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m nncore", description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1500, help="training steps (default 1500)")
    parser.add_argument("--seed", type=int, default=1, help="np.random.seed before each network (default 1)")
    args = parser.parse_args(argv)
    if args.iterations < 1:
        parser.error(f"--iterations: got {args.iterations}, expected at least 1")

    print("The tutorial's numbers, from the compiled core:")
    print(f"  Neuron([0, 1], 4).feedforward([2, 3])     = {float(nncore.Neuron(np.array([0, 1]), 4).feedforward(np.array([2, 3])))!r}")
    print(f"  OurNeuralNetwork().feedforward([2, 3])    = {float(nncore.OurNeuralNetwork().feedforward(np.array([2, 3])))!r}")

    networks = {}
    timings = {}
    for name, cls in (("reference", reference.NeuralNetwork), ("nncore", nncore.NeuralNetwork)):
        np.random.seed(args.seed)
        networks[name] = cls(XOR_X, XOR_Y)
        timings[name] = seconds(lambda: python_loop(networks[name], args.iterations))
    np.random.seed(args.seed)
    trained = nncore.NeuralNetwork(XOR_X, XOR_Y)
    timings["nncore train()"] = seconds(lambda: trained.train(args.iterations))

    print(f"\nXOR after {args.iterations} x feedforward() + backprop(), np.random.seed({args.seed}):")
    print("  x          y   reference            nncore")
    for x, y, a, b in zip(XOR_X, XOR_Y[:, 0], networks["reference"].output[:, 0], networks["nncore"].output[:, 0]):
        print(f"  {x}  {y}   {a:.17f}  {b:.17f}")
    gap = np.abs(networks["reference"].output - networks["nncore"].output).max()
    print(f"  largest difference: {gap:.1e}")

    base = timings["reference"]
    print("\nTime for the whole run (one measurement; bench/ has medians):")
    for name, value in timings.items():
        print(f"  {name:<15} {value * 1e3:9.3f} ms   {base / value:7.1f}x the reference")


if __name__ == "__main__":
    main()
