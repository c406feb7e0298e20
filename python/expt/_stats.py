"""The statistics of ``expt summary``, in pure Python, so ``expt.summary`` gives the same numbers with no numpy/scipy.

Mean and sample standard deviation (two passes), the standard error, a Student-t confidence interval, the median by
linear interpolation; NaN and infinities are counted apart, never averaged.
"""

import math

__all__ = ["describe", "t_quantile"]


def describe(values, confidence=0.95):
    """n, mean, std, sem, ci_low, ci_high, min, median, max and non_finite of ``values`` (NaN where undefined)."""
    data = sorted(v for v in values if math.isfinite(v))
    non_finite = len(values) - len(data)
    n = len(data)
    nan = math.nan
    if n == 0:
        return dict(n=0, mean=nan, std=nan, sem=nan, ci_low=nan, ci_high=nan, min=nan, median=nan, max=nan,
                    non_finite=non_finite)
    mean = _sum(data) / n
    variance = _sum([(v - mean) * (v - mean) for v in data]) / (n - 1) if n > 1 else nan
    std = math.sqrt(variance) if n > 1 else nan
    sem = std / math.sqrt(n)
    t = t_quantile(1 - (1 - confidence) / 2, n - 1) if n > 1 else nan
    return dict(n=n, mean=mean, std=std, sem=sem, ci_low=mean - t * sem, ci_high=mean + t * sem, min=data[0],
                median=_quantile(data, 0.5), max=data[-1], non_finite=non_finite)


def _sum(values):
    # Left to right, as the C# Sum() adds: the same bits, not math.fsum's (more exact) ones.
    total = 0.0
    for v in values:
        total += v
    return total


def _quantile(sorted_values, q):
    position = q * (len(sorted_values) - 1)
    lower = int(math.floor(position))
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (position - lower) * (sorted_values[upper] - sorted_values[lower])


def t_cdf(t, df):
    """The Student-t distribution function with ``df`` degrees of freedom."""
    x = df / (df + t * t)
    tail = 0.5 * _incomplete_beta(df / 2.0, 0.5, x)
    return 1 - tail if t > 0 else tail


def t_quantile(p, df):
    """The inverse of :func:`t_cdf`: bisection to the last bit (a summary computes a handful of these)."""
    if not 0 < p < 1:
        raise ValueError("p must be in (0, 1)")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2
        if hi > 1e300:
            return math.inf
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _incomplete_beta(a, b, x):
    """The regularised incomplete beta function I_x(a, b) (continued fraction, Numerical Recipes' form)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1 - front * _beta_fraction(b, a, 1 - x) / b


def _beta_fraction(a, b, x):
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10000):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((a + m2 - 1) * (a + m2)), -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-16:
            break
    return h
