"""W9: two W4 networks trained at once in two Python threads (``fit``
releases the GIL for its compiled epochs), against one after the other."""
from concurrent.futures import ThreadPoolExecutor

import nncore
from digits import W4_BATCH, W4_SIZES, digits_data
from timing import timed_runs
from workload import System, Workload, copies, peer

# Epochs per fit call, enough that the call's Python work (argument
# checks, holding the GIL) is small beside its compiled epochs.
W9_EPOCHS = 10


def w9_workload(smoke):
    available, reason = peer("scikit-learn")  # for the digits
    if not available:
        return reason
    x, y = digits_data(smoke)
    workload = Workload("W9", f"W9: two W4 networks ({x.shape[0]:,} samples, Adam, batch {W4_BATCH}), "
                              f"{W9_EPOCHS} epochs each", "fit pair")
    models = [nncore.MLP(W4_SIZES, activation="relu", output_activation="softmax", random_state=seed)
              for seed in (0, 1)]
    pool = ThreadPoolExecutor(max_workers=2)
    workload.on_close(pool.shutdown)

    def train(model):
        model.fit(x, y, epochs=W9_EPOCHS, batch_size=W4_BATCH, optimizer="adam", shuffle=False,
                  warm_start=True)

    def one_after_the_other():
        for model in models:
            train(model)

    def in_two_threads():
        for done in [pool.submit(train, model) for model in models]:
            done.result()

    def state():
        return copies([*models[0].coefs_, *models[1].coefs_])
    workload.add("nncore", System(timed_runs(one_after_the_other), state))
    workload.add("nncore 2 threads", System(timed_runs(in_two_threads), state))
    return workload
