"""kriging-vs-sklearn: the coherence maximiser of Gaussian behaviours given labels, ours vs scikit-learn.

``b ~ N(0, K)`` with the RBF kernel ``K_ij = v exp(-|x_i - x_j|^2 / (2 l^2)) + j 1(i = j)`` on
``n = 2000`` points, ``m = 500`` of them labelled. The maximiser of ``Coh(b)`` given
``b_S = y_S`` is the kriging mean ``K_US K_SS^{-1} y_S`` (:func:`theory.gaussian.kriging_mean`:
one Cholesky factorisation, triangular solves). scikit-learn's ``GaussianProcessRegressor`` with
the same kernel held fixed (``ConstantKernel(v, "fixed") * RBF(l, "fixed")``, ``alpha = j``,
``optimizer=None``, no output normalisation) computes the same posterior mean by ``fit`` +
``predict``. Each side starts from its own form of the prior: ours from the covariance matrix
(what :class:`theory.gaussian.GaussianBehaviour` holds), scikit-learn from the kernel object and
the inputs, so its time includes evaluating the kernel on ``S x S`` and ``U x S``; that part is
timed alone and reported in ``params``.
"""
from __future__ import annotations

import numpy as np

NAME = "kriging-vs-sklearn"
EXTRA = "peers"
REQUIRES = ("sklearn",)
WHAT = ("kriging mean of n=2000 Gaussian behaviours given 500 labels (fixed RBF kernel): Cholesky solves "
        "on the covariance vs scikit-learn GaussianProcessRegressor fit+predict (optimizer=None)")


def sklearn_gpr(x, labeled, values, lengthscale, variance, jitter, copy_X_train=True):
    """scikit-learn's posterior mean at the unlabelled points (a fitted GPR with a fixed kernel)."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    U = np.setdiff1d(np.arange(x.size), labeled)
    kernel = ConstantKernel(variance, "fixed") * RBF(lengthscale, "fixed")
    gpr = GaussianProcessRegressor(kernel, alpha=jitter, optimizer=None, normalize_y=False, copy_X_train=copy_X_train)
    return gpr.fit(x[labeled, None], values).predict(x[U, None])


def run(quick: bool) -> dict:
    from importlib.metadata import version

    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    from coherence.benchmarks.timing import best_of, peer_row, sweep_configs
    from theory.gaussian import kriging_mean, rbf_kernel

    n, m = (1000, 250) if quick else (2000, 500)
    lengthscale, variance, jitter = 1.3, 2.0, 1e-6
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0, 20, n))
    K = rbf_kernel(x, lengthscale, variance, jitter)
    mu = np.zeros(n)
    S = np.sort(rng.choice(n, m, replace=False))
    U = np.setdiff1d(np.arange(n), S)
    y = np.linalg.cholesky(K[np.ix_(S, S)]) @ rng.standard_normal(m)
    repeat = 3 if quick else 5
    ours = best_of(lambda: kriging_mean(mu, K, S, y), repeat=repeat)
    configs = {"fit+predict": lambda: sklearn_gpr(x, S, y, lengthscale, variance, jitter),
               "fit+predict, copy_X_train=False": lambda: sklearn_gpr(x, S, y, lengthscale, variance, jitter, False)}
    best, times = sweep_configs(configs, repeat)
    kernel = ConstantKernel(variance, "fixed") * RBF(lengthscale, "fixed")
    t_kernel = best_of(lambda: (kernel(x[S, None]), kernel(x[U, None], x[S, None])), repeat=repeat)
    diff = float(np.max(np.abs(kriging_mean(mu, K, S, y)[U] - sklearn_gpr(x, S, y, lengthscale, variance, jitter))))
    if diff > 1e-8:
        raise AssertionError(f"kriging-vs-sklearn: posterior means disagree by {diff:.3g}")
    return peer_row(ours, f"scikit-learn {version('scikit-learn')}", best, times, {"max_abs_diff": diff},
                    "scikit-learn GaussianProcessRegressor, fixed kernel, optimizer=None", n=n, labelled=m,
                    lengthscale=lengthscale, variance=variance, jitter=jitter,
                    sklearn_kernel_evaluation_s=t_kernel,
                    ratio_excluding_sklearn_kernel_evaluation=(times[best] - t_kernel) / ours)
