"""TeX in titles and abstracts as readable Unicode for feeds and plain-text mail."""

import pytest

from dailypapers.papers.tex import to_unicode


@pytest.mark.parametrize(
    ("tex", "plain"),
    [
        ("$\\alpha$-divergence with $\\mathcal{L}_{2}$ loss", "α-divergence with ℒ_2 loss"),
        ("on $O(n \\log n)$ time", "on O(n log n) time"),
        ("$\\mathbb{R}^n$, $\\leq$ and $\\to\\infty$", "ℝ^n, ≤ and →∞"),
        ("Sch\\\"olkopf and G\\'{e}rard", "Schölkopf and Gérard"),
        ("\\emph{really} \\textbf{bold}", "really bold"),
        ("Pre-training {BERT} on {GPU}s", "Pre-training BERT on GPUs"),  # grouping braces
        # Plain text stays as it is: % is no comment, ~ no space.
        ("50% of runs, 100\\% sure", "50% of runs, 100% sure"),
        ("see http://x.org/~me/a_b and $k$-means", "see http://x.org/~me/a_b and k-means"),
        ("Electron.~J.~Combin. 2009", "Electron. J. Combin. 2009"),  # TeX's tie
        # Macros pylatexenc does not know keep their arguments, else their name.
        ("\\texttt{code} and $\\operatorname{KL}$", "code and KL"),
        ("$\\poly(n)$ over $\\R^n$", "poly(n) over R^n"),
        ("No TeX at all: a_b, x^2 (sic).", "No TeX at all: a_b, x^2 (sic)."),
    ],
)
def test_to_unicode(tex, plain):
    assert to_unicode(tex) == plain
