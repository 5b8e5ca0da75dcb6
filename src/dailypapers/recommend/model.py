"""A member's taste as a linear model over paper embeddings.

arxiv-sanity's idea (a linear classifier per person: their papers against everyone else's)
over our embeddings instead of tf-idf, and trained once per change of the member's signals
rather than per request: logistic regression with the papers they saved or upvoted as
positives, the papers they marked "not interested" as strong negatives, and a sample of recent
papers as the background every other paper is told apart from. Its weights score any paper
with one dot product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Chosen on bench/for_you.py (--sweep): see there for the figures.
C = 1.0
BACKGROUND = 2_000  # recent papers sampled as negatives
DISLIKED_WEIGHT = 3.0  # a "not interested" counts as much as this many background papers


@dataclass(frozen=True)
class Model:
    weights: np.ndarray
    bias: float

    def scores(self, matrix: np.ndarray) -> np.ndarray:
        """The model's log-odds of liking each row's paper."""
        return matrix @ self.weights + self.bias


def train(liked: np.ndarray, disliked: np.ndarray, background: np.ndarray, c: float = C) -> Model:
    """Fit on the liked rows (at least one) against the disliked and background rows; the
    two classes weigh the same in total, however few the liked papers are."""
    from sklearn.linear_model import LogisticRegression  # scipy: loaded only to train

    if not len(disliked) + len(background):  # nothing to tell apart: closeness to the mean
        return Model(liked.mean(axis=0).astype(np.float32), 0.0)
    x = np.vstack([liked, disliked, background]).astype(np.float32, copy=False)
    y = np.concatenate([np.ones(len(liked)), np.zeros(len(disliked) + len(background))])
    weight = np.concatenate(
        [np.ones(len(liked)), np.full(len(disliked), DISLIKED_WEIGHT), np.ones(len(background))]
    )
    weight[y == 1] *= weight[y == 0].sum() / weight[y == 1].sum()
    fit = LogisticRegression(C=c, max_iter=500).fit(x, y, sample_weight=weight)
    return Model(fit.coef_[0].astype(np.float32), float(fit.intercept_[0]))
