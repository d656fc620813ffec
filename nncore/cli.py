"""The ``nncore`` command: train, describe and run models on CSV files.

    nncore train data.csv --target species --save model.npz --plot curves.png
    nncore predict model.npz new.csv --output predictions.csv
    nncore info model.npz
    nncore export model.npz --format onnx --output model.onnx
    nncore export model.npz --format c --output src/ --name iris
    nncore demo
    nncore bench --smoke

``train`` standardizes the features (and a regression target), trains an
``nncore.MLP``, then folds the scaling into the first (and last) layer, so
the saved model takes the raw columns and gives the target in its own
units. The model file keeps the feature names, the classes and the scores
in its ``extra`` member, for ``predict`` and ``info``. Plots need
matplotlib (the ``cli`` extra), imported only for ``--plot``.

Mistakes in the input (options, files, values) give one line on stderr and
exit status 2, as argparse's own errors do.
"""
import argparse
import csv
import os
import re
import sys
import warnings

import numpy as np

import nncore
from nncore import _serialize
from nncore._atomic import atomic_write
from nncore._config import HIDDEN_ACTIVATIONS, REGRESSION_LOSSES
from nncore.model import load_with_extra

PROG = "nncore"
# A numeric target is a classification's when its values are whole numbers
# and this many or fewer distinct ones.
MAX_AUTO_CLASSES = 10
PLOT_NEEDS_MATPLOTLIB = 'the --plot option needs matplotlib: pip install "nncore-cython[cli]"'
# How NumPy's loadtxt reports a value it cannot convert (row: 0-based, among
# the rows after the header that are not empty; column: 1-based, in the file).
_LOADTXT_VALUE_ERROR = re.compile(r"could not convert string (.*) to \w+ at row (\d+), column (\d+)")
_GRID_POINTS = 200


class CommandError(Exception):
    """A problem to report in one line, without a traceback."""

    def __init__(self, message, status=2):
        super().__init__(message)
        self.status = status


def main(argv=None):
    """Run the ``nncore`` command with ``argv`` (default ``sys.argv[1:]``).

    Returns the exit status. Errors exit with status 2 (SystemExit), as
    argparse's do: a message on stderr, no traceback.
    """
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "bench":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    try:
        return args.run(args)
    except CommandError as exc:
        parser.exit(exc.status, f"{PROG} {args.command}: error: {exc}\n")
    except KeyboardInterrupt:
        parser.exit(130, f"\n{PROG} {args.command}: interrupted\n")
    except BrokenPipeError:
        # The reader went away (nncore predict ... | head): end quietly, and
        # keep Python from failing again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def build_parser():
    parser = argparse.ArgumentParser(
        prog=PROG, description="Train, describe and run nncore networks on CSV files.",
        epilog=f"'{PROG} COMMAND --help' describes each command.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {nncore.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train", help="train a network on a CSV file",
        description="Train a network on a CSV file with a header line: every column but the "
                    "target is an input. The saved model takes the raw columns.")
    train.add_argument("data", metavar="DATA.csv", help="the training data")
    train.add_argument("--target", required=True, metavar="COLUMN", help="the column to predict")
    train.add_argument("--task", choices=("auto", "classify", "regress"), default="auto",
                       help="auto (the default): classify when the target is not numeric, or "
                            f"whole numbers with at most {MAX_AUTO_CLASSES} distinct values; "
                            "regress otherwise")
    train.add_argument("--layers", type=_hidden_layers, default=(32, 16), metavar="32,16",
                       help="hidden layer widths (default 32,16; '' for none)")
    train.add_argument("--activation", choices=HIDDEN_ACTIVATIONS, default="relu",
                       help="the hidden layers' activation (default relu)")
    train.add_argument("--loss", choices=REGRESSION_LOSSES, default="squared_error",
                       help="a regression's loss (default squared_error; a classification's is "
                            "cross_entropy)")
    train.add_argument("--huber-delta", type=_positive_float, default=1.0, metavar="F",
                       help="where the huber loss turns linear, in standard deviations of the "
                            "target (default 1.0)")
    train.add_argument("--class-weight", choices=("balanced",), default=None,
                       help="a classification's class weights: balanced weighs each class by "
                            "n_rows / (n_classes * its count) (default: all 1)")
    train.add_argument("--epochs", type=_positive_int, default=200, metavar="N",
                       help="passes over the training rows (default 200)")
    train.add_argument("--batch-size", type=_positive_int, default=32, metavar="N",
                       help="rows per step (default 32)")
    train.add_argument("--optimizer", choices=("adam", "sgd"), default="adam",
                       help="default adam")
    train.add_argument("--learning-rate", type=_positive_float, default=None, metavar="F",
                       help="default 0.001 for adam, 0.01 for sgd")
    train.add_argument("--weight-decay", type=_nonnegative_float, default=None, metavar="F",
                       help="weight decay of the weights (not the biases): AdamW's with adam, "
                            "SGD's (added to the gradient) with sgd; default none")
    train.add_argument("--schedule", choices=tuple(SCHEDULE_DEFAULTS), default=None,
                       help="vary the learning rate (F, --learning-rate or its default) over "
                            "the N epochs: step (F x 0.1 every max(1, N // 3) epochs), "
                            "exponential (F x 0.01**(1/N) every epoch: 1%% of F at the end), "
                            "cosine (half a cosine from F to 0 over N epochs), onecycle (from "
                            "F / 25 up to F and down to F / 250000, per step), plateau (F x "
                            "0.1 after max(1, N // 20) epochs without a better validation "
                            "loss); default none")
    train.add_argument("--dropout", type=_dropout, default=0.0, metavar="RATE",
                       help="dropout on the hidden layers while training: one rate, or one per "
                       "hidden layer such as 0.2,0.1; default 0")
    train.add_argument("--clip-norm", type=_positive_float, default=None, metavar="F",
                       help="clip each step's gradient to this global L2 norm; default none")
    train.add_argument("--validation", type=_fraction, default=0.2, metavar="FRACTION",
                       help="share of the rows held out at random for validation, in [0, 1) "
                            "(default 0.2)")
    train.add_argument("--patience", type=_positive_int, default=None, metavar="N",
                       help="stop after N epochs without a better validation loss (the "
                            "training loss without validation) and keep the best epoch")
    train.add_argument("--seed", type=_seed, default=0, metavar="N",
                       help="seed of the weights, the shuffling and the split (default 0)")
    train.add_argument("--deterministic", action="store_true",
                       help="every matrix product in nncore's own kernels: the same bits on every "
                            "x86-64 CPU and for any thread count (see the README's Determinism)")
    train.add_argument("--save", metavar="MODEL.npz", help="save the model here")
    train.add_argument("--plot", metavar="PLOT.png",
                       help="plot the loss per epoch here (and, for two inputs, the "
                            "predictions over the plane); needs matplotlib")
    train.add_argument("--no-progress", action="store_true",
                       help="no progress bar on stderr")
    train.set_defaults(run=train_command)

    predict = commands.add_parser(
        "predict", help="predict for every row of a CSV file",
        description="Predict for every row of a CSV file that has the model's input columns "
                    "(the target column may be there or not).")
    predict.add_argument("model", metavar="MODEL.npz", help="a model saved by 'nncore train'")
    predict.add_argument("data", metavar="DATA.csv")
    predict.add_argument("--output", metavar="PREDICTIONS.csv",
                         help="write the predictions here rather than to stdout")
    predict.set_defaults(run=predict_command)

    info = commands.add_parser("info", help="describe a saved model",
                               description="Describe a saved model.")
    info.add_argument("model", metavar="MODEL.npz")
    info.set_defaults(run=info_command)

    export = commands.add_parser(
        "export", help="write a saved model as ONNX or C source",
        description="Write a saved model as an ONNX file (needs the onnx package) or as C99 "
                    "source, NAME.h and NAME.c, that gives predict's bits with no library "
                    "beyond the C standard library.")
    export.add_argument("model", metavar="MODEL.npz", help="a saved model")
    export.add_argument("--format", required=True, choices=("onnx", "c"))
    export.add_argument("--output", required=True, metavar="PATH",
                        help="the ONNX file, or for c the folder (created if missing)")
    export.add_argument("--name", default="model", metavar="NAME",
                        help="for c: the files' and functions' name, a C identifier "
                             "(default model)")
    export.set_defaults(run=export_command)

    demo = commands.add_parser("demo", help="the tutorial's network on nncore, beside the reference",
                               description="The tutorial demo (python -m nncore).")
    demo.add_argument("--iterations", type=_positive_int, default=1500, metavar="N",
                      help="training steps (default 1500)")
    demo.add_argument("--seed", type=int, default=1, metavar="N",
                      help="np.random.seed before each network (default 1)")
    demo.set_defaults(run=demo_command)

    bench = commands.add_parser(
        "bench", help="run the benchmark (from a source checkout)",
        description="Run bench/run.py of a source checkout; other arguments go to it.")
    bench.add_argument("--smoke", action="store_true", help="a few short rounds, only to check")
    bench.add_argument("--path", default=os.path.join("bench", "run.py"), metavar="RUN.py",
                       help="the benchmark script (default bench/run.py)")
    bench.set_defaults(run=bench_command)
    return parser


# -- option values -------------------------------------------------------------------


# The --schedule choices: each a schedule from the epochs and the learning rate.
SCHEDULE_DEFAULTS = {
    "step": lambda epochs, rate: nncore.StepDecay(max(1, epochs // 3), gamma=0.1),
    "exponential": lambda epochs, rate: nncore.ExponentialDecay(0.01 ** (1 / epochs)),
    "cosine": lambda epochs, rate: nncore.CosineDecay(epochs),
    "onecycle": lambda epochs, rate: nncore.OneCycle(rate, epochs),
    "plateau": lambda epochs, rate: nncore.ReduceOnPlateau(factor=0.1,
                                                           patience=max(1, epochs // 20)),
}


def _schedule(args, optimizer, learning_rate):
    """The schedule --schedule names (or None), from --epochs and the
    learning rate the optimizer trains with."""
    if args.schedule is None:
        return None
    if learning_rate is None:
        learning_rate = (optimizer.learning_rate if not isinstance(optimizer, str) else
                         (nncore.Adam() if optimizer == "adam" else nncore.SGD()).learning_rate)
    return SCHEDULE_DEFAULTS[args.schedule](args.epochs, learning_rate)


def _optimizer(args):
    """(optimizer, learning_rate) for MLP.fit: the name and rate given, or
    with --weight-decay an AdamW or an SGD that carries both."""
    if args.weight_decay is None:
        return args.optimizer, args.learning_rate
    kind = nncore.AdamW if args.optimizer == "adam" else nncore.SGD
    rate = {} if args.learning_rate is None else {"learning_rate": args.learning_rate}
    return kind(weight_decay=args.weight_decay, **rate), None


def _hidden_layers(text):
    if not text.strip():
        return ()
    try:
        widths = tuple(int(part) for part in text.split(","))
    except ValueError:
        widths = ()
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(
            f"got {text!r}, expected positive widths separated by commas, such as 32,16 "
            "('' for no hidden layer)")
    return widths


def _number(kind, accepts, expected):
    """An argparse type: ``kind(text)``, which ``accepts`` must approve."""
    def parse(text):
        try:
            number = kind(text)
        except ValueError:
            number = None
        if number is None or not accepts(number):
            raise argparse.ArgumentTypeError(f"got {text!r}, expected {expected}")
        return number
    return parse


_positive_int = _number(int, lambda number: number >= 1, "an integer >= 1")
_seed = _number(int, lambda number: number >= 0, "an integer >= 0")
_positive_float = _number(float, lambda number: 0 < number < float("inf"), "a finite number > 0")
_nonnegative_float = _number(float, lambda number: 0 <= number < float("inf"),
                             "a finite number >= 0")
_fraction = _number(float, lambda number: 0 <= number < 1, "a number in [0, 1)")


def _dropout(text):
    """One rate for every hidden layer, or one per hidden layer separated by commas."""
    try:
        rates = tuple(_fraction(part) for part in text.split(","))
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"got {text!r}, expected a rate in [0, 1) or one per hidden layer separated by "
            "commas, such as 0.2,0.1") from None
    return rates[0] if len(rates) == 1 else rates


# -- CSV files -----------------------------------------------------------------------


class Table:
    """A CSV file: its header, read with the csv module, and its columns, read
    with NumPy's ``loadtxt``. Every problem is a CommandError naming the
    file and, for a value, its line (1-based, the header is line 1) and column."""

    def __init__(self, path):
        self.path = path
        self._lines = None
        try:
            with open(path, newline="", encoding="utf-8-sig") as file:
                header = next(csv.reader(file), None)
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise CommandError(f"{path}: a folder, expected a CSV file") from None
        except (OSError, UnicodeError, csv.Error) as exc:
            raise CommandError(f"{path}: cannot read it as CSV ({exc})") from None
        if not header:
            raise CommandError(f"{path}: the file is empty, expected a header line and data rows")
        self.header = [name.strip() for name in header]
        for index, name in enumerate(self.header):
            if not name:
                raise CommandError(f"{path}: column {index + 1} of the header has no name")
            if self.header.index(name) != index:
                raise CommandError(f"{path}: the header names column {name!r} twice")

    def column(self, name):
        """The 0-based index of the column called ``name``."""
        if name not in self.header:
            raise CommandError(f"{self.path}: no column {name!r}; its columns are "
                               + ", ".join(repr(column) for column in self.header))
        return self.header.index(name)

    def numbers(self, names):
        """The columns ``names`` as a float64 array (n_rows, len(names)), all finite."""
        values = self._load([self.column(name) for name in names], np.float64)
        bad = np.argwhere(~np.isfinite(values))
        if len(bad):
            row, column = bad[0]
            raise CommandError(f"{self.where(row, names[column])}: got {values[row, column]}, "
                               "expected a finite number")
        return values

    def strings(self, name):
        """The column ``name`` as an array of str, stripped of spaces."""
        return np.char.strip(self._load([self.column(name)], str)[:, 0])

    def where(self, row, name):
        """'file, line L, column 'name'' for data row ``row`` (0-based)."""
        return f"{self.path}, line {self._data_lines()[row]}, column {name!r}"

    def _load(self, columns, dtype):
        try:
            with warnings.catch_warnings():
                # A file without data rows: reported below, as an error.
                warnings.simplefilter("ignore", UserWarning)
                values = np.loadtxt(self.path, delimiter=",", skiprows=1, usecols=columns,
                                    ndmin=2, dtype=dtype, quotechar='"', comments=None,
                                    encoding="utf-8-sig")
        except ValueError as exc:
            raise CommandError(self._explain(exc)) from None
        if values.shape[0] == 0:
            raise CommandError(f"{self.path}: only a header line, no data rows")
        return values

    def _explain(self, exc):
        """loadtxt's error, with the file's line and the column's name."""
        match = _LOADTXT_VALUE_ERROR.search(str(exc))
        if match:
            text, row, column = match[1], int(match[2]), int(match[3]) - 1
            where = self.where(row, self.header[column])
            if text in ("''", '""'):
                return f"{where}: an empty field, expected a number"
            return f"{where}: {text} is not a number"
        with open(self.path, newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file)
            next(reader)
            for fields in reader:
                if fields and len(fields) != len(self.header):
                    return (f"{self.path}, line {reader.line_num}: {len(fields)} fields, "
                            f"expected {len(self.header)} as in the header")
        return f"{self.path}: {exc}"

    def _data_lines(self):
        """The file's line number of every data row: loadtxt skips empty lines."""
        if self._lines is None:
            with open(self.path, newline="", encoding="utf-8-sig") as file:
                self._lines = [number for number, line in enumerate(file, start=1)
                               if number > 1 and line.strip("\r\n")]
        return self._lines


# -- train -----------------------------------------------------------------------------


def train_command(args):
    pyplot = _pyplot() if args.plot else None  # before any work: a missing matplotlib fails fast
    if pyplot is not None:
        _plot_format(args.plot)
    for option, path in (("--save", args.save), ("--plot", args.plot)):
        _check_folder(option, path)
    table = Table(args.data)
    table.column(args.target)
    features = [name for name in table.header if name != args.target]
    if not features:
        raise CommandError(f"{args.data}: no columns but the target {args.target!r}, "
                           "expected one or more input columns")
    X = table.numbers(features)
    task, y, classes = _encode_target(table, args.target, args.task)
    if classes is not None and args.loss != "squared_error":
        raise CommandError(f"--loss: got {args.loss} for a classification, expected a regression "
                           "(a classification's loss is cross_entropy); try --task regress")
    if classes is None and args.class_weight is not None:
        raise CommandError(f"--class-weight: got {args.class_weight} for a regression, expected a "
                           "classification; try --task classify")
    n_rows = X.shape[0]
    train_rows, validation_rows = _split(n_rows, args.validation, args.seed)

    x_mean, x_scale = _standardization(X[train_rows])
    y_mean, y_scale = (0.0, 1.0) if classes is not None else _standardization(y[train_rows])
    inputs = (X - x_mean) / x_scale
    targets = y if classes is not None else (y - y_mean) / y_scale

    n_outputs = len(classes) if classes is not None else 1
    if isinstance(args.dropout, tuple) and len(args.dropout) != len(args.layers):
        raise CommandError(f"--dropout: got {len(args.dropout)} rates, expected 1 or "
                           f"{len(args.layers)} (one per hidden layer of --layers)")
    model = nncore.MLP((len(features), *args.layers, n_outputs), activation=args.activation,
                       output_activation="softmax" if classes is not None else "identity",
                       loss="cross_entropy" if classes is not None else args.loss,
                       huber_delta=args.huber_delta, random_state=args.seed,
                       deterministic=args.deterministic, dropout=args.dropout)
    described = (f" ({len(classes)} classes: " + ", ".join(map(str, classes)) + ")"
                 if classes is not None else "")
    print(f"{args.data}: {n_rows} rows, {len(features)} input columns; {task} of "
          f"{args.target!r}{described}")
    optimizer, learning_rate = _optimizer(args)
    schedule = _schedule(args, optimizer, learning_rate)
    print(f"training {model!r} with {optimizer}"
          + (f", the learning rate on {schedule!r}" if schedule is not None else "")
          + (f", clipping gradients to norm {args.clip_norm:g}" if args.clip_norm else "")
          + f" on {len(train_rows)} rows"
          + (f", validating on {len(validation_rows)}" if len(validation_rows) else ""))
    validation = ((inputs[validation_rows], targets[validation_rows])
                  if len(validation_rows) else None)
    try:
        history = model.fit(
            inputs[train_rows], targets[train_rows], epochs=args.epochs,
            batch_size=min(args.batch_size, len(train_rows)), optimizer=optimizer,
            learning_rate=learning_rate, clip_norm=args.clip_norm, validation_data=validation,
            early_stopping=nncore.EarlyStopping(args.patience) if args.patience else None,
            progress=not args.no_progress, class_weight=args.class_weight, schedule=schedule)
    except ValueError as exc:  # a step's loss was not finite
        raise CommandError(f"training failed: {exc}; try a smaller --learning-rate",
                           status=1) from None
    fold_scaling(model, x_mean, x_scale, y_mean, y_scale)

    stopped = (f", stopped early; the best epoch, {history.best_epoch + 1}, is kept"
               if history.stopped_early and history.best_epoch is not None else "")
    print(f"{history.epochs} epochs{stopped}; last training loss {history.loss[-1]:.6g}")
    scores = _scores(model, X, y, classes, train_rows, validation_rows)
    for line in _score_lines(scores):
        print(line)
    if args.save:
        extra = {"task": task, "features": features, "target": args.target, "scores": scores,
                 "epochs": history.epochs}
        if classes is not None:
            extra["classes"] = classes
        try:
            model._save(args.save, extra=extra)
        except OSError as exc:
            raise CommandError(f"--save: cannot write {args.save} ({exc})") from None
        print(f"saved the model to {args.save} (it takes the raw columns)")
    if pyplot is not None:
        plot_training(pyplot, args.plot, history, model, X[train_rows], y[train_rows], classes,
                      features, args.target)
        print(f"saved the plot to {args.plot}")
    return 0


def _encode_target(table, name, task):
    """(task, y, classes): y holds class indices (classes a sorted list) or numbers
    (classes None)."""
    values = table.strings(name)
    for row, value in enumerate(values):
        if not value:
            raise CommandError(f"{table.where(row, name)}: an empty field, expected a target")
    numbers = _as_numbers(values)
    if numbers is not None:
        bad = np.flatnonzero(~np.isfinite(numbers))
        if len(bad):
            raise CommandError(f"{table.where(bad[0], name)}: got {values[bad[0]]}, "
                               "expected a finite number or a label")
    whole = numbers is not None and np.array_equal(numbers, np.round(numbers))
    if task == "auto":
        task = ("classify" if numbers is None
                or (whole and len(np.unique(numbers)) <= MAX_AUTO_CLASSES) else "regress")
    if task == "regress":
        if numbers is None:
            row = next(row for row, value in enumerate(values) if _as_numbers(np.array([value])) is None)
            raise CommandError(f"{table.where(row, name)}: {str(values[row])!r} is not a number; "
                               "a regression's target must be numeric")
        return "regression", numbers, None
    labels = numbers if numbers is not None else values
    found, y = np.unique(labels, return_inverse=True)
    classes = [int(c) if whole else float(c) if numbers is not None else str(c) for c in found]
    if len(classes) < 2:
        raise CommandError(f"{table.path}: the target {name!r} has one value, {classes[0]!r}; "
                           "a classification needs two or more")
    return "classification", y.reshape(-1), classes


def _as_numbers(values):
    """``values`` (str) as float64, or None if one is not a number."""
    try:
        return values.astype(np.float64)
    except ValueError:
        return None


def _split(n_rows, fraction, seed):
    """Row indices (training, validation), a random split of ``fraction``."""
    n_validation = max(1, round(n_rows * fraction)) if fraction > 0 else 0
    if n_rows - n_validation < 1:
        raise CommandError(f"--validation {fraction} of {n_rows} rows leaves no training rows")
    order = np.random.default_rng(seed).permutation(n_rows)
    return np.sort(order[n_validation:]), np.sort(order[:n_validation])


def _standardization(values):
    """Mean and standard deviation per column (1 where a column is constant)."""
    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    return mean, np.where(scale > 0, scale, 1.0)


def fold_scaling(model, x_mean, x_scale, y_mean=0.0, y_scale=1.0):
    """Make ``model`` take raw inputs and give raw outputs, in place.

    A model trained on ``(X - x_mean) / x_scale`` to predict
    ``(y - y_mean) / y_scale`` becomes one that maps X to y: the first
    layer's ``X @ (W / s) + (b - (m / s) @ W)`` and, for the target, the
    last layer's ``h @ (W * t) + (b * t + mean)``, which needs an identity
    output (it is the same layer when there is no hidden one). The
    optimizer's moments belong to the scaled parameters, so they are reset:
    training the folded model further starts them afresh.
    """
    x_mean, x_scale = np.asarray(x_mean, np.float64), np.asarray(x_scale, np.float64)
    weights, bias = model.coefs_[0].copy(), model.intercepts_[0].copy()
    model.coefs_[0] = weights / x_scale[:, None]
    model.intercepts_[0] = bias - (x_mean / x_scale) @ weights
    if np.any(y_mean != 0.0) or np.any(y_scale != 1.0):
        if model.output_activation != "identity":
            raise ValueError(f"output_activation is {model.output_activation!r}: only an "
                             "identity output can take the target's scaling")
        model.coefs_[-1] = model.coefs_[-1] * y_scale
        model.intercepts_[-1] = model.intercepts_[-1] * y_scale + y_mean
    model._reset_optimizer()


def _scores(model, X, y, classes, train_rows, validation_rows):
    """Accuracy (classification) or R^2 and RMSE (regression), on the raw data."""
    scores = {}
    for part, rows in (("train", train_rows), ("validation", validation_rows)):
        if not len(rows):
            continue
        scores[f"{part}_accuracy" if classes is not None else f"{part}_r2"] = model.score(
            X[rows], y[rows])
        if classes is None:
            residual = model.predict(X[rows])[:, 0] - y[rows]
            scores[f"{part}_rmse"] = float(np.sqrt(np.mean(residual ** 2)))
    return scores


def _score_lines(scores):
    names = {"accuracy": "accuracy", "r2": "R^2", "rmse": "RMSE"}
    lines = []
    for measure, label in names.items():
        parts = [f"{part} {scores[f'{part}_{measure}']:.4g}" for part in ("train", "validation")
                 if f"{part}_{measure}" in scores]
        if parts:
            lines.append(f"{label}: " + ", ".join(parts))
    return lines


def _check_folder(option, path):
    if path is not None:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise CommandError(f"{option}: the folder {folder} does not exist")


# -- plots -------------------------------------------------------------------------------


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise CommandError(PLOT_NEEDS_MATPLOTLIB) from None
    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot
    return matplotlib.pyplot


def _plot_format(path):
    """The image format that ``path``'s extension names (png without one)."""
    extension = os.path.splitext(path)[1][1:].lower() or "png"
    from matplotlib.backend_bases import FigureCanvasBase
    formats = FigureCanvasBase.get_supported_filetypes()
    if extension not in formats:
        raise CommandError(f"--plot: got {path!r}, expected a file name ending in one of "
                           f"{', '.join('.' + name for name in sorted(formats))}")
    return extension


def plot_training(pyplot, path, history, model, X, y, classes, features, target):
    """The loss per epoch and, for two inputs, the predictions over the plane, to ``path``."""
    from matplotlib.colors import ListedColormap

    plane = X.shape[1] == 2
    figure, axes = pyplot.subplots(1, 2 if plane else 1, figsize=(11 if plane else 6, 4.5),
                                   squeeze=False)
    axis = axes[0, 0]
    epochs = np.arange(1, history.epochs + 1)
    axis.plot(epochs, history.loss, label="training")
    if history.val_loss:
        axis.plot(epochs, history.val_loss, label="validation")
    if history.best_epoch is not None:
        axis.axvline(history.best_epoch + 1, color="grey", linestyle=":", label="best epoch")
    if min(history.loss + history.val_loss) > 0:
        axis.set_yscale("log")
    axis.set_xlabel("epoch")
    axis.set_ylabel(model.loss_name + (" (standardized target)" if classes is None else ""))
    axis.set_title("loss")
    axis.grid(alpha=0.3)
    axis.legend()
    if plane:
        axis = axes[0, 1]
        low, high = X.min(axis=0), X.max(axis=0)
        margin = np.where(high > low, (high - low) * 0.05, 1.0)
        grid = np.meshgrid(*(np.linspace(low[i] - margin[i], high[i] + margin[i], _GRID_POINTS)
                             for i in range(2)))
        predicted = model.predict(np.column_stack([g.ravel() for g in grid]))
        if classes is not None:
            palette = pyplot.get_cmap("tab10" if len(classes) <= 10 else "tab20")
            colours = [palette(k % palette.N) for k in range(len(classes))]
            levels = np.arange(len(classes) + 1) - 0.5
            axis.contourf(*grid, predicted.argmax(axis=1).reshape(grid[0].shape), levels=levels,
                          cmap=ListedColormap(colours), alpha=0.35)
            for k, label in enumerate(classes):
                axis.scatter(*X[y == k].T, color=colours[k], edgecolor="black", linewidth=0.4,
                             s=18, label=str(label))
            axis.legend(title=target, fontsize="small")
            axis.set_title("predicted class, and the training rows")
        else:
            surface = axis.contourf(*grid, predicted[:, 0].reshape(grid[0].shape), levels=20,
                                    cmap="viridis")
            axis.scatter(*X.T, c=y, cmap="viridis", norm=surface.norm, edgecolor="black",
                         linewidth=0.4, s=18)
            figure.colorbar(surface, ax=axis, label=target)
            axis.set_title(f"predicted {target}, and the training rows")
        axis.set_xlabel(features[0])
        axis.set_ylabel(features[1])
    figure.tight_layout()
    try:
        with atomic_write(path) as file:
            figure.savefig(file, dpi=100, format=_plot_format(path))
    except OSError as exc:
        raise CommandError(f"--plot: cannot write {path} ({exc})") from None
    finally:
        pyplot.close(figure)


# -- predict and info ------------------------------------------------------------------


def _load(path):
    """(model, extra) from ``path``, or a CommandError."""
    try:
        return load_with_extra(path)
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{path}: a folder, expected a model file") from None
    except (OSError, ValueError) as exc:
        raise CommandError(str(exc)) from None


def predict_command(args):
    model, extra = _load(args.model)
    features, target, classes = _columns_of(args.model, model, extra)
    _check_folder("--output", args.output)
    X = Table(args.data).numbers(features)
    predicted = model.predict(X)
    if classes is not None:
        header = [target] + [f"P({target}={label})" for label in classes]
        rows = ([classes[k], *map(repr, p.tolist())] for k, p in zip(predicted.argmax(axis=1), predicted))
    else:
        header = [target]
        rows = ([repr(value)] for value in predicted[:, 0].tolist())
    if args.output is None:
        _write_csv(sys.stdout, header, rows)
        return 0
    try:
        with atomic_write(args.output, "w", newline="", encoding="utf-8") as file:
            _write_csv(file, header, rows)
    except OSError as exc:
        raise CommandError(f"--output: cannot write {args.output} ({exc})") from None
    print(f"wrote {len(X)} predictions to {args.output}")
    return 0


def _write_csv(file, header, rows):
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


def _columns_of(path, model, extra):
    """(features, target, classes) that 'nncore train' saved with the model."""
    extra = extra or {}
    features, target, classes = extra.get("features"), extra.get("target"), extra.get("classes")
    if not (isinstance(features, list) and all(isinstance(name, str) for name in features)
            and isinstance(target, str)):
        raise CommandError(f"{path}: no input column names; 'nncore predict' needs a model "
                           "saved by 'nncore train'")
    if len(features) != model.n_inputs:
        raise CommandError(f"{path}: {len(features)} input column names for a model of "
                           f"{model.n_inputs} inputs")
    if extra.get("task") == "classification":
        if not isinstance(classes, list) or len(classes) != model.n_outputs:
            raise CommandError(f"{path}: the classes {classes!r} do not match the model's "
                               f"{model.n_outputs} outputs")
        return features, target, [str(label) for label in classes]
    if model.n_outputs != 1:
        raise CommandError(f"{path}: a regression model with {model.n_outputs} outputs, "
                           "expected 1")
    return features, target, None


def info_command(args):
    model, extra = _load(args.model)
    state = model._get_state()
    optimizer = model.optimizer_
    if optimizer is None:
        trained = "none (never trained)"
    elif optimizer.name in ("adam", "adamw") and state["step_count"]:
        trained = f"{optimizer!r}, {state['step_count']} steps taken"
    elif optimizer.name == "sgd" and optimizer.momentum and np.any(state["first_moment"]):
        trained = f"{optimizer!r}, with its velocity"
    else:
        trained = f"{optimizer!r}, no saved moments"
    hidden = len(model.layer_sizes) - 2
    rows = [
        ("layers", " -> ".join(map(str, model.layer_sizes))
         + f" ({hidden} hidden layer{'' if hidden == 1 else 's'})"),
        ("activations", (f"{model.activation} (hidden), " if hidden else "")
         + f"{model.output_activation} (output)"),
        ("loss", model.loss_name),
        ("dtype", model.dtype.name),
        ("parameters", f"{model.params_.size}" + ("" if model.bias else " (no biases)")),
        ("optimizer", trained),
        ("last loss", f"{state['loss']:.6g}" if np.isfinite(state["loss"]) else "none"),
    ]
    if state["clip_norm"] is not None:
        rows.insert(-1, ("clip norm", f"{state['clip_norm']:g}"))
    if any(model._dropout_rates):
        rows.insert(-1, ("dropout", ", ".join(f"{rate:g}" for rate in model._dropout_rates)))
    if extra is not None:
        extra = dict(extra)
        if "task" in extra and "target" in extra:
            rows.append(("task", f"{extra.pop('task')} of {extra.pop('target')!r}"))
        if "classes" in extra:
            rows.append(("classes", ", ".join(map(str, extra.pop("classes")))))
        if "features" in extra:
            rows.append(("features", ", ".join(map(str, extra.pop("features")))))
        if isinstance(extra.get("scores"), dict):
            rows.append(("scores", ", ".join(f"{name} {value:.4g}" for name, value
                                             in extra.pop("scores").items())))
        rows.extend((str(key), str(value)) for key, value in extra.items())
    print(f"{args.model}: {_serialize.FORMAT_NAME}, format version "
          f"{_serialize.file_version(args.model)}")
    width = max(len(name) for name, _ in rows) + 1
    for name, value in rows:
        print(f"  {name + ':':<{width}} {value}")
    return 0


def export_command(args):
    model, _ = _load(args.model)
    try:
        if args.format == "onnx":
            if args.name != "model":
                raise CommandError("--name: only for --format c; an ONNX file is named by --output")
            _check_folder("--output", args.output)
            model.to_onnx(args.output)
            print(f"wrote {args.output}")
        else:
            model.to_c(args.output, args.name)
            print(f"wrote {os.path.join(args.output, args.name)}.h and .c")
    except ImportError as exc:
        raise CommandError(str(exc)) from None
    except ValueError as exc:
        # The checks name the argument ("name: got ...", "directory: got
        # ..."): say the option instead.
        argument, _, detail = str(exc).partition(": ")
        option = "--name" if argument == "name" else "--output"
        raise CommandError(f"{option}: {detail or exc}") from None
    except OSError as exc:
        raise CommandError(f"--output: cannot write {args.output} ({exc})") from None
    return 0


# -- demo and bench --------------------------------------------------------------------


def demo_command(args):
    from nncore.__main__ import main as demo

    demo(["--iterations", str(args.iterations), "--seed", str(args.seed)])
    return 0


def bench_command(args):
    if not os.path.isfile(args.path):
        raise CommandError(
            f"{args.path} not found: the benchmark comes with nncore's source, not with the "
            "installed package; run 'nncore bench' from a source checkout, or give --path")
    command = [sys.executable, args.path, *(["--smoke"] if args.smoke else []), *args.rest]
    import subprocess  # here: the other commands start faster without it

    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
