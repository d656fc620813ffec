"""W12's data: sparse TF-IDF features of synthetic text, 20 newsgroups-like.

Documents draw about 200 words each from a Zipf vocabulary; each class
favours 300 words of its own, so there is something to learn. Word counts
become TF-IDF values with scikit-learn's default weighting (smoothed idf,
rows scaled to unit L2 norm).
"""
import numpy as np
import scipy.sparse as sp

N_SAMPLES, N_FEATURES, N_CLASSES = 20_000, 50_000, 20
SMOKE_SAMPLES, SMOKE_FEATURES = 400, 2_000
WORDS_PER_DOCUMENT = 200
TOPIC_WORDS = 300
TOPIC_SHARE = 0.3


def sparse_text_data(smoke, seed=0):
    """(X, y): X a CSR matrix of float64 TF-IDF values, y labels 0..19."""
    n_samples, n_features = (SMOKE_SAMPLES, SMOKE_FEATURES) if smoke else (N_SAMPLES, N_FEATURES)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, n_samples)
    lengths = np.maximum(1, rng.poisson(WORDS_PER_DOCUMENT, n_samples))
    rows = np.repeat(np.arange(n_samples), lengths)
    # Word ranks from Zipf's law, mapped to shuffled columns.
    frequency = 1.0 / np.arange(1, n_features + 1) ** 1.07
    cumulative = np.cumsum(frequency / frequency.sum())
    words = rng.permutation(n_features)[
        np.minimum(np.searchsorted(cumulative, rng.random(rows.size)), n_features - 1)]
    topics = rng.integers(0, n_features, (N_CLASSES, TOPIC_WORDS))
    on_topic = rng.random(rows.size) < TOPIC_SHARE
    words[on_topic] = topics[y[rows[on_topic]], rng.integers(0, TOPIC_WORDS, on_topic.sum())]
    # Duplicate (row, word) pairs add up: the word counts.
    counts = sp.csr_matrix((np.ones(rows.size), (rows, words)), shape=(n_samples, n_features))
    counts.sum_duplicates()
    document_frequency = np.bincount(counts.indices, minlength=n_features)
    idf = np.log((1 + n_samples) / (1 + document_frequency)) + 1
    counts.data *= idf[counts.indices]
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    counts.data /= np.repeat(norms, np.diff(counts.indptr))
    return counts, y
