"""A member's taste as a linear model over paper embeddings.

arxiv-sanity's idea, a linear classifier per person (their papers against everyone else's),
over our embeddings instead of tf-idf, and computed once per change of the member's signals
rather than per request. The classifier is the limit of L2-regularised logistic regression as
the regularisation grows, where its weights turn into the difference between the mean liked
paper and the mean other paper (Rocchio's relevance feedback). On bench/for_you.py --sweep
logistic regression's Recall@20 rose as C fell (--seed 5 --members 480: C=1 0.087, 0.1 0.090,
0.01 0.094; the default seed: 0.088, 0.091, 0.090) and the limit is level with it (0.095;
0.087) within the bench's noise (a standard error of about 0.005), with no solver to run and
no scikit-learn (and SciPy) in every web process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BACKGROUND = 2_000  # recent papers sampled as "everyone else's"
# How much the mean "not interested" paper is pulled away from. Not measured by the bench (its
# members mark nothing); smaller than the liked side, as relevance feedback weighs negatives.
DISLIKED_WEIGHT = 0.25


@dataclass(frozen=True)
class Model:
    weights: np.ndarray

    def scores(self, matrix: np.ndarray) -> np.ndarray:
        """How much each row's paper leans to the member's side (higher: more theirs)."""
        return matrix @ self.weights


def train(liked: np.ndarray, disliked: np.ndarray, background: np.ndarray) -> Model:
    """From the liked rows (at least one), the disliked rows and the background rows."""
    weights = liked.mean(axis=0)
    if len(background):
        weights = weights - background.mean(axis=0)
    if len(disliked):
        weights = weights - DISLIKED_WEIGHT * disliked.mean(axis=0)
    return Model(weights.astype(np.float32))
