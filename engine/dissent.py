"""Dissent: do stakeholder groups rate differently, and which opinion groups exist?

:func:`group_divergence` tests, per statement, whether the declared stakeholder
groups (member states, NGOs, academia, ...) rate differently (Kruskal-Wallis).
:func:`opinion_groups` ignores the declared groups and looks for groups of
panelists who answer alike (principal components, then k-means with k chosen by the
silhouette), so a facilitator can see dissent the stakeholder labels do not show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine._counting import (
    NotIntegerGrid,
    average_ranks,
    column_counts,
    distinct_counts,
    tie_sum,
)
from engine._validate import as_matrix

__all__ = ["GroupDivergence", "OpinionGroups", "group_divergence", "opinion_groups"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_MAX_ITER = 100  # Lloyd iterations per k-means run, at most


# ------------------------------------------------------------------ Kruskal-Wallis


@dataclass(frozen=True, eq=False)
class GroupDivergence:
    """Per-statement Kruskal-Wallis test across groups (see :func:`group_divergence`)."""

    h: FloatArray
    """Tie-corrected Kruskal-Wallis H per statement."""
    pvalue: FloatArray
    """Upper tail of chi-square with ``df`` degrees of freedom."""
    df: IntArray
    """Groups with ratings on the statement, minus one."""
    n: IntArray
    """Ratings per statement."""
    epsilon_squared: FloatArray
    """Effect size ``H / (n - 1)``, in [0, 1]."""
    groups: npt.NDArray[Any]
    """The distinct group labels, sorted; the order of ``group_n`` rows."""
    group_n: IntArray
    """Ratings per group and statement, shape (groups, statements)."""


def group_divergence(ratings: Any, groups: Any) -> GroupDivergence:
    r"""Kruskal-Wallis H test per statement across stakeholder groups.

    For one statement, rank its ``N`` ratings together (ties averaged); with
    ``R_g`` the rank sum and ``n_g`` the number of ratings of group ``g``:

    .. math::

        H = \frac{\dfrac{12}{N (N + 1)} \sum_g \dfrac{R_g^2}{n_g} - 3 (N + 1)}
                 {1 - \dfrac{\sum_t (t^3 - t)}{N^3 - N}}

    over the groups with at least one rating, ``t`` running over the sizes of the
    groups of tied ratings; ``df = (groups with ratings) - 1`` and the p-value is
    the chi-square upper tail.  Equal to ``scipy.stats.kruskal`` applied to each
    group's non-NaN ratings of the statement.

    Parameters
    ----------
    ratings : array_like, shape (respondents, statements)
        NaN marks a missing answer.
    groups : array_like, shape (respondents,)
        Group label of each respondent (strings or numbers); every row needs one.

    Returns
    -------
    GroupDivergence
        ``h``, ``pvalue``, ``df``, ``n``, ``epsilon_squared`` per statement, the
        sorted ``groups`` labels and ``group_n`` (groups x statements).

    Notes
    -----
    Missing ratings are left out.  ``h`` and ``pvalue`` are NaN for a statement
    where fewer than two groups have ratings or where all ratings are identical
    (SciPy returns NaN there too, with a warning; here without).  Groups of a single
    respondent take part like any other.  ``epsilon_squared`` is Kelley's
    epsilon-squared effect size ``H (N + 1) / (N^2 - 1) = H / (N - 1)``.

    Integer ratings are counted per group and scale point, so the ranks come from a
    single pass over the matrix; other values are ranked column by column.

    References
    ----------
    Kruskal, W. H., & Wallis, W. A. (1952). Use of ranks in one-criterion variance
    analysis. *Journal of the American Statistical Association*, 47(260), 583-621.
    Tomczak, M., & Tomczak, E. (2014). The need to report effect size estimates
    revisited. *Trends in Sport Sciences*, 21(1), 19-25.

    Examples
    --------
    SciPy's example ``kruskal([1, 1, 1], [2, 2, 2], [2, 2])``, as one statement
    rated by three groups:

    >>> res = group_divergence([1, 1, 1, 2, 2, 2, 2, 2], ["a"] * 3 + ["b"] * 3 + ["c"] * 2)
    >>> print(f"H = {res.h[0]:.1f}, p = {res.pvalue[0]:.4f}, df = {res.df[0]}")
    H = 7.0, p = 0.0302, df = 2
    """
    x = as_matrix(ratings, "ratings")
    labels, keys = _group_keys(groups, x.shape[0])
    n_groups = len(labels)
    try:
        grid = column_counts(x, max_levels=max(64, x.shape[0]), keys=keys, n_keys=n_groups)
        counts = grid.counts.transpose(1, 0, 2)  # (statements, groups, levels)
    except NotIntegerGrid:
        _, counts = distinct_counts(x, keys, n_groups)

    per_group = counts.sum(axis=2)  # (statements, groups)
    total = counts.sum(axis=1)  # (statements, levels)
    n = per_group.sum(axis=1)
    nf = n.astype(np.float64)
    rank_sums = np.sum(counts * average_ranks(total)[:, np.newaxis, :], axis=2)
    present = per_group > 0
    df = present.sum(axis=1) - 1
    between = np.sum(rank_sums**2 / np.maximum(per_group, 1), axis=1)
    safe_n = np.maximum(nf, 2.0)
    h_raw = 12.0 / (safe_n * (safe_n + 1.0)) * between - 3.0 * (safe_n + 1.0)
    tie_factor = 1.0 - tie_sum(total) / (safe_n**3 - safe_n)
    defined = (df >= 1) & (tie_factor > 0) & (n >= 2)
    h = np.full(len(n), np.nan)
    h[defined] = h_raw[defined] / tie_factor[defined]
    from scipy import special  # here, not at import: a command without statistics skips scipy

    pvalue = np.full(len(n), np.nan)
    pvalue[defined] = special.chdtrc(df[defined], h[defined])
    epsilon = np.where(defined, h / (safe_n - 1.0), np.nan)
    return GroupDivergence(
        h=h,
        pvalue=pvalue,
        df=df.astype(np.int64),
        n=n.astype(np.int64),
        epsilon_squared=epsilon,
        groups=labels,
        group_n=per_group.T.astype(np.int64),
    )


def _group_keys(groups: Any, rows: int) -> tuple[npt.NDArray[Any], npt.NDArray[np.intp]]:
    """Sorted distinct labels and each row's index into them."""
    labels = np.asarray(groups)
    if labels.ndim != 1 or labels.shape[0] != rows:
        raise ValueError(
            f"groups must be 1-D with one label per respondent ({rows}), got shape {labels.shape}"
        )
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        raise ValueError("groups has missing (NaN) labels; every respondent needs a group")
    if labels.dtype.kind == "O" and any(v is None for v in labels.tolist()):
        raise ValueError("groups has missing (None) labels; every respondent needs a group")
    try:
        distinct, keys = np.unique(labels, return_inverse=True)
    except TypeError as exc:
        raise ValueError(f"groups labels must be comparable with each other: {exc}") from None
    return distinct, keys.reshape(-1).astype(np.intp)


# ------------------------------------------------------------------ opinion groups


@dataclass(frozen=True, eq=False)
class OpinionGroups:
    """Opinion groups found in the ratings (see :func:`opinion_groups`)."""

    labels: IntArray
    """Group of each respondent, ``0 .. k-1``, numbered by decreasing size."""
    k: int
    """Number of groups; 1 when no grouping reached ``min_silhouette``."""
    silhouette: float
    """Mean silhouette of ``labels`` over ``silhouette_rows``; NaN when ``k == 1``."""
    silhouette_by_k: dict[int, float]
    """Mean silhouette of the k-means solution fitted for each k tried (on
    ``silhouette_rows``, before the refinement on all rows)."""
    sizes: IntArray
    """Respondents per group, shape (k,)."""
    profiles: FloatArray
    """Mean observed rating per group and statement, shape (k, statements)."""
    coordinates: FloatArray
    """First two principal-component scores per respondent, shape (respondents, 2)."""
    scores: FloatArray
    """The principal-component scores clustered, shape (respondents, components)."""
    explained_variance: FloatArray
    """Share of the total variance of each component in ``scores``."""
    silhouette_rows: npt.NDArray[np.intp]
    """Rows on which the silhouette was computed (all rows, or a seeded sample)."""


def opinion_groups(
    ratings: Any,
    *,
    max_groups: int = 5,
    seed: int = 0,
    min_silhouette: float = 0.25,
    max_components: int = 10,
    variance_target: float = 0.9,
    silhouette_sample: int = 2000,
    n_init: int = 4,
) -> OpinionGroups:
    r"""Groups of respondents who rate alike: PCA, k-means, k chosen by silhouette.

    1. **Impute and centre**: a missing rating is replaced by its statement's mean
       observed rating; each statement is centred on that mean (a statement nobody
       rated contributes nothing).  Ratings are not rescaled: all statements share
       the rating scale.
    2. **Principal components** of the centred matrix, from the eigenvectors of the
       smaller of its two Gram matrices.  Clustering uses the first ``d`` component
       scores, ``d`` being the fewest components that explain ``variance_target`` of
       the variance, at least 2 and at most ``max_components`` (and the rank).  Each
       component's sign is fixed so its largest loading is positive.
    3. **k-means** (Lloyd's algorithm from k-means++ seeds, ``n_init`` starts, the
       lowest within-group sum of squares kept) for each ``k = 2 .. max_groups``.
    4. **Choice of k** by the mean silhouette
       ``s(i) = (b_i - a_i) / max(a_i, b_i)``, ``a_i`` the mean Euclidean distance
       of ``i`` to the rest of its group and ``b_i`` to the nearest other group
       (``s = 0`` for a group of one), in the space of step 2.  The best k is
       refined by Lloyd iterations on every respondent; if the silhouette of the
       result is below ``min_silhouette`` there is no real grouping and ``k = 1``.

    With more than ``silhouette_sample`` respondents, steps 3 and 4 run on a seeded
    random sample of that many rows (listed in ``silhouette_rows``; the silhouette
    needs all pairwise distances), in the manner of CLARA (Kaufman & Rousseeuw
    1990); the chosen solution is then refined on all rows and every respondent
    gets a label.  With fewer respondents everything uses all rows.

    Parameters
    ----------
    ratings : array_like, shape (respondents, statements)
        NaN marks a missing answer.
    max_groups : int, default 5
        Largest k tried (at least 2; at most respondents - 1 is used).
    seed : int, default 0
        Seed of the ``numpy.random.Generator`` behind the sample and the k-means
        starts; the same seed gives the same result.
    min_silhouette : float, default 0.25
        Silhouette below which the answer is "one group" (Kaufman & Rousseeuw read
        <= 0.25 as "no substantial structure").
    max_components : int, default 10
        Most principal components used for clustering.
    variance_target : float, default 0.9
        Share of variance the clustering components should reach.
    silhouette_sample : int, default 2000
        Rows used to choose k at most (the silhouette costs rows squared).
    n_init : int, default 4
        k-means starts per k.

    Returns
    -------
    OpinionGroups
        ``labels``, ``k``, ``silhouette``, ``silhouette_by_k``, ``sizes``,
        ``profiles`` (mean observed rating per group, NaN where a group rated a
        statement not at all), ``coordinates`` (2-D, for plotting),
        ``scores``, ``explained_variance``, ``silhouette_rows``.

    References
    ----------
    Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the interpretation and
    validation of cluster analysis. *Journal of Computational and Applied
    Mathematics*, 20, 53-65.
    Arthur, D., & Vassilvitskii, S. (2007). k-means++: the advantages of careful
    seeding. *Proceedings of SODA 2007*, 1027-1035.
    Kaufman, L., & Rousseeuw, P. J. (1990). *Finding Groups in Data*. Wiley.

    Examples
    --------
    Two camps of five panelists each, rating four statements in opposite ways:

    >>> import numpy as np
    >>> camp = np.array([[9, 8, 2, 1], [8, 9, 1, 2], [9, 9, 2, 2], [8, 8, 1, 1], [9, 8, 1, 2]])
    >>> res = opinion_groups(np.vstack([camp, 10 - camp]), seed=1)
    >>> res.k, res.sizes.tolist()
    (2, [5, 5])
    >>> res.labels.tolist()
    [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    >>> res.profiles.round(1).tolist()
    [[8.6, 8.4, 1.4, 1.6], [1.4, 1.6, 8.6, 8.4]]
    """
    x = as_matrix(ratings, "ratings")
    _check_int("max_groups", max_groups, 2)
    _check_int("max_components", max_components, 1)
    _check_int("silhouette_sample", silhouette_sample, 2)
    _check_int("n_init", n_init, 1)
    if not -1.0 <= float(min_silhouette) <= 1.0:
        raise ValueError(f"min_silhouette must be in [-1, 1], got {min_silhouette!r}")
    if not 0.0 < float(variance_target) <= 1.0:
        raise ValueError(f"variance_target must be in (0, 1], got {variance_target!r}")
    rng = np.random.default_rng(seed)
    rows = x.shape[0]

    missing = np.isnan(x)
    answered = rows - missing.sum(axis=0)
    means = np.sum(x, axis=0, where=~missing) / np.maximum(answered, 1)
    centred = x - means
    np.copyto(centred, 0.0, where=missing)  # imputed with the statement mean, then centred

    scores, explained = _principal_components(centred, max_components, variance_target)
    coordinates = np.zeros((rows, 2))
    coordinates[:, : min(2, scores.shape[1])] = scores[:, :2]

    sample = np.arange(rows, dtype=np.intp)
    if rows > silhouette_sample:
        sample = np.sort(rng.choice(rows, size=silhouette_sample, replace=False)).astype(np.intp)
    distances = _pairwise_distances(scores[sample]) if scores.shape[1] else None

    best_k, best_s, best_labels = 1, np.nan, np.zeros(rows, dtype=np.int64)
    by_k: dict[int, float] = {}
    if distances is not None:
        fitted = scores[sample]
        best_centres = None
        for k in range(2, min(max_groups, len(sample) - 1) + 1):
            labels, centres = _kmeans(fitted, k, rng, n_init)
            by_k[k] = _mean_silhouette(distances, labels)
            if best_centres is None or by_k[k] > by_k[best_k]:
                best_k, best_centres = k, centres
        if best_centres is not None:
            # refine the chosen solution on every row (a no-op without sampling)
            best_labels = _lloyd(scores, best_centres, _MAX_ITER)[0]
            best_s = _mean_silhouette(distances, best_labels[sample])
        if not best_s >= min_silhouette:
            best_k, best_s, best_labels = 1, np.nan, np.zeros(rows, dtype=np.int64)

    labels = _relabel_by_size(best_labels)
    sizes = np.bincount(labels, minlength=best_k).astype(np.int64)
    onehot = np.zeros((rows, best_k))
    onehot[np.arange(rows), labels] = 1.0
    rated = onehot.T @ ~missing  # observed ratings per group and statement
    sums = onehot.T @ centred + rated * means  # sums of the observed ratings
    profiles = np.full(sums.shape, np.nan)
    np.divide(sums, rated, out=profiles, where=rated > 0)
    return OpinionGroups(
        labels=labels,
        k=best_k,
        silhouette=float(best_s),
        silhouette_by_k=by_k,
        sizes=sizes,
        profiles=profiles,
        coordinates=coordinates,
        scores=scores,
        explained_variance=explained,
        silhouette_rows=sample,
    )


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _principal_components(
    centred: FloatArray, max_components: int, variance_target: float
) -> tuple[FloatArray, FloatArray]:
    """Component scores (rows x d) and their explained-variance shares."""
    rows, cols = centred.shape
    total = float(np.einsum("ij,ij->", centred, centred))
    limit = min(max_components, rows, cols)
    if total <= 0.0 or limit == 0:
        return np.zeros((rows, 0)), np.zeros(0)
    by_columns = cols <= rows
    gram = centred.T @ centred if by_columns else centred @ centred.T
    size = gram.shape[0]
    # only the leading eigenpairs (bisection and inverse iteration: far less work than a
    # full decomposition; the "evr" driver is much slower here for a subset)
    from scipy import linalg

    eigenvalues, vectors = linalg.eigh(gram, subset_by_index=[size - limit, size - 1], driver="evx")
    eigenvalues, vectors = eigenvalues[::-1], vectors[:, ::-1]
    keep = eigenvalues > total * 1e-12
    eigenvalues, vectors = eigenvalues[keep], vectors[:, keep]
    if by_columns:
        loadings = vectors
        scores = centred @ loadings
    else:
        scores = vectors * np.sqrt(eigenvalues)
        loadings = centred.T @ vectors / np.sqrt(eigenvalues)
    largest = np.argmax(np.abs(loadings), axis=0)
    signs = np.sign(loadings[largest, np.arange(loadings.shape[1])])
    scores = scores * np.where(signs == 0, 1.0, signs)
    share = eigenvalues / total
    reached = np.flatnonzero(np.cumsum(share) >= variance_target - 1e-12)
    d = int(reached[0]) + 1 if reached.size else len(share)
    d = min(max(d, 2), len(share))
    return np.ascontiguousarray(scores[:, :d]), share[:d]


def _squared_distances(a: FloatArray, b: FloatArray) -> FloatArray:
    """``|a_i - b_j|^2`` by the expansion ``|a|^2 - 2 a.b + |b|^2``, in place."""
    squared: FloatArray = a @ b.T
    squared *= -2.0
    squared += np.einsum("ij,ij->i", a, a)[:, np.newaxis]
    squared += np.einsum("ij,ij->i", b, b)[np.newaxis, :]
    np.maximum(squared, 0.0, out=squared)
    return squared


def _pairwise_distances(points: FloatArray) -> FloatArray:
    distances = _squared_distances(points, points)
    np.sqrt(distances, out=distances)
    np.fill_diagonal(distances, 0.0)
    return distances


def _kmeans(
    points: FloatArray, k: int, rng: np.random.Generator, n_init: int
) -> tuple[IntArray, FloatArray]:
    """Best of ``n_init`` k-means runs (lowest inertia), each from k-means++ seeds."""
    best: tuple[IntArray, FloatArray] | None = None
    best_inertia = np.inf
    for _ in range(n_init):
        labels, inertia, centres = _lloyd(points, _kmeanspp(points, k, rng), _MAX_ITER)
        if best is None or inertia < best_inertia:
            best, best_inertia = (labels, centres), inertia
    assert best is not None
    return best


def _kmeanspp(points: FloatArray, k: int, rng: np.random.Generator) -> FloatArray:
    rows = points.shape[0]
    centres = np.empty((k, points.shape[1]))
    centres[0] = points[rng.integers(rows)]
    closest = _squared_distances(points, centres[:1])[:, 0]
    for c in range(1, k):
        total = closest.sum()
        if total > 0:
            pick = int(np.searchsorted(np.cumsum(closest), rng.random() * total, side="right"))
            pick = min(pick, rows - 1)
        else:
            pick = int(rng.integers(rows))
        centres[c] = points[pick]
        closest = np.minimum(closest, _squared_distances(points, centres[c : c + 1])[:, 0])
    return centres


def _lloyd(
    points: FloatArray, centres: FloatArray, max_iter: int
) -> tuple[IntArray, float, FloatArray]:
    """Lloyd iterations until no label changes or the centres move less than
    ``1e-4`` of the mean per-dimension variance (scikit-learn's default tolerance)."""
    rows, k = points.shape[0], centres.shape[0]
    tolerance = 1e-4 * float(np.mean(np.var(points, axis=0)))
    identity = np.eye(k)
    labels = np.full(rows, -1, dtype=np.intp)
    for _ in range(max_iter):
        new = _nearest(points, centres)
        sizes = np.bincount(new, minlength=k)
        if (sizes == 0).any():
            new, sizes = _reseed_empty(points, centres, new, sizes)
        if np.array_equal(new, labels):
            break
        labels = new
        previous = centres
        centres = (identity[labels].T @ points) / sizes[:, np.newaxis]
        if float(np.sum((centres - previous) ** 2)) <= tolerance:
            labels = _nearest(points, centres)
            break
    inertia = float(np.sum((points - centres[labels]) ** 2))
    return labels.astype(np.int64), inertia, centres


def _nearest(points: FloatArray, centres: FloatArray) -> npt.NDArray[np.intp]:
    """Index of each point's nearest centre."""
    # |p - c|^2 up to the constant |p|^2, which does not change the nearest centre
    nearest: npt.NDArray[np.intp] = np.argmin(
        np.einsum("ij,ij->i", centres, centres) - 2.0 * (points @ centres.T), 1
    )
    return nearest


def _reseed_empty(
    points: FloatArray, centres: FloatArray, labels: npt.NDArray[np.intp], sizes: IntArray
) -> tuple[npt.NDArray[np.intp], IntArray]:
    """Move each empty group to the point farthest from its current centre.

    Only a point whose group keeps another member moves: with repeated points every
    distance may be zero, and taking a group's only point would empty it in turn.
    """
    labels = labels.copy()
    sizes = sizes.copy()
    distance = np.sum((points - centres[labels]) ** 2, axis=1)
    for empty in np.flatnonzero(sizes == 0):
        far = int(np.argmax(np.where(sizes[labels] > 1, distance, -np.inf)))
        sizes[labels[far]] -= 1
        labels[far] = empty
        sizes[empty] += 1
        distance[far] = -np.inf
    return labels, sizes


def _mean_silhouette(distances: FloatArray, labels: IntArray) -> float:
    """Mean silhouette over the rows of a distance matrix (groups absent are ignored)."""
    _, compact = np.unique(labels, return_inverse=True)
    compact = compact.reshape(-1)
    k = int(compact.max()) + 1
    if k < 2:
        return np.nan
    rows = len(compact)
    onehot = np.zeros((rows, k))
    onehot[np.arange(rows), compact] = 1.0
    sizes = onehot.sum(axis=0)
    sums = distances @ onehot  # (rows, k) total distance to each group
    own_size = sizes[compact]
    within = sums[np.arange(rows), compact] / np.maximum(own_size - 1.0, 1.0)
    mean_to = sums / sizes
    mean_to[np.arange(rows), compact] = np.inf
    between = mean_to.min(axis=1)
    larger = np.maximum(within, between)
    values = np.zeros(rows)
    np.divide(between - within, larger, out=values, where=(larger > 0) & (own_size > 1))
    return float(values.mean())


def _relabel_by_size(labels: IntArray) -> IntArray:
    """Number groups 0, 1, ... by decreasing size, ties by first appearance."""
    distinct, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    mapping = np.empty(int(distinct.max()) + 1, dtype=np.int64)
    mapping[distinct[order]] = np.arange(len(distinct))
    return mapping[labels]
