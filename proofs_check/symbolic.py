"""Symbolic (sympy) derivations behind the checks: identities that algebra settles for all values.

Each function returns ``(residual, detail)``: ``residual`` is the simplified difference of the
two sides (the sympy expression ``0`` when the identity holds symbolically) and ``detail`` a
dict of printable expressions for the record.
"""
from __future__ import annotations

import itertools

import sympy as sp


def chain_rule_normalisation(n: int = 3):
    """``sum_b prod_t P(b_t | b_<t) = 1`` for generic binary conditionals over ``n`` items.

    Each conditional ``P(b_t = 1 | prefix)`` is its own free symbol ``p_t,prefix``; nothing is
    assumed but normalisation over ``Y`` at each step."""
    syms = {}

    def cond(t, prefix, y):
        key = (t, prefix)
        if key not in syms:
            syms[key] = sp.Symbol(f"p_{t}_{''.join(map(str, prefix)) or 'e'}", positive=True)
        return syms[key] if y == 1 else 1 - syms[key]

    total = 0
    for b in itertools.product((0, 1), repeat=n):
        term = 1
        for t in range(n):
            term *= cond(t, b[:t], b[t])
        total += term
    residual = sp.simplify(sp.expand(total) - 1)
    return residual, {"n": n, "free_conditionals": len(syms), "sum": str(sp.factor(total))}


def srm_equals_coherence():
    """``J = fit + lambda * DL_{Q_tau}`` with ``Q_tau = exp(Coh/tau)/Z`` equals
    ``fit - (lambda/tau) Coh + lambda log Z``."""
    fit, lam, coh, Z = sp.symbols("fit lambda Coh Z", real=True)
    tau = sp.Symbol("tau", positive=True)
    Z = sp.Symbol("Z", positive=True)
    J = fit + lam * (-sp.log(sp.exp(coh / tau) / Z))
    target = fit - lam / tau * coh + lam * sp.log(Z)
    residual = sp.simplify(sp.expand_log(J - target, force=True))
    return residual, {"J": str(J), "equals": str(target)}


def lambda_eta_map():
    """With ``d`` label mismatches out of ``m`` under symmetric noise ``eta``, the log posterior is
    ``log Q(pi) - d log((1-eta)/eta) + const``; ``J_lambda / lambda = d/lambda - log Q(pi)`` has
    the same minimiser for all ``d`` and ``Q`` iff ``1/lambda = log((1-eta)/eta)``."""
    d, m, logq = sp.symbols("d m logQ", real=True)
    eta = sp.Symbol("eta", positive=True)
    lam = sp.Symbol("lambda", positive=True)
    log_post = logq + (m - d) * sp.log(1 - eta) + d * sp.log(eta)
    neg_post = -log_post
    scaled_J = d / lam - logq
    # the difference must not depend on the policy (on d or logQ) for the argmins to agree
    diff = sp.expand(sp.expand_log(neg_post - scaled_J, force=True))
    coeff_d = sp.simplify(sp.diff(diff, d))
    sol = sp.solve(sp.Eq(coeff_d, 0), lam)
    target = 1 / sp.log((1 - eta) / eta)
    residual = (sp.simplify(sp.expand_log(sol[0] - target, force=True)) if len(sol) == 1
                else sp.Symbol("no_unique_solution"))
    return residual, {"coefficient_of_d": str(coeff_d), "lambda": str(sol),
                      "coefficient_of_logQ": str(sp.diff(diff, logq))}


def tempered_gibbs_detailed_balance():
    """Tempered leave-one-out Gibbs on two binary items under a generic joint ``p_b``: the
    tempered conditional ``P(b_i | b_-i)^{1/tau} / sum`` equals ``Q_tau``'s conditional, and the
    random-scan kernel satisfies ``Q_tau(b) T(b, b') = Q_tau(b') T(b', b)`` for every pair."""
    tau = sp.Symbol("tau", positive=True)
    p = {b: sp.Symbol(f"p{b[0]}{b[1]}", positive=True) for b in itertools.product((0, 1), repeat=2)}
    q = {b: p[b] ** (1 / tau) for b in p}
    Z = sum(q.values())
    n = 2

    def flip(b, i, y):
        c = list(b)
        c[i] = y
        return tuple(c)

    def tempered_cond(b, i, y):
        # P(b_i = y | b_-i) from the joint, then tempered and renormalised
        pc = {v: p[flip(b, i, v)] / (p[flip(b, i, 0)] + p[flip(b, i, 1)]) for v in (0, 1)}
        return pc[y] ** (1 / tau) / (pc[0] ** (1 / tau) + pc[1] ** (1 / tau))

    res_cond, res_db = [], []
    for b in p:
        for i in range(n):
            for y in (0, 1):
                qc = q[flip(b, i, y)] / (q[flip(b, i, 0)] + q[flip(b, i, 1)])
                res_cond.append(sp.simplify(sp.powsimp(sp.powdenest(tempered_cond(b, i, y) - qc, force=True),
                                                       force=True)))
                b2 = flip(b, i, y)
                if b2 != b:
                    lhs = q[b] / Z * tempered_cond(b, i, y) / n
                    rhs = q[b2] / Z * tempered_cond(b2, i, b[i]) / n
                    res_db.append(sp.simplify(sp.powsimp(sp.powdenest(lhs - rhs, force=True), force=True)))
    residual = sp.Add(*[sp.Abs(r) for r in res_cond + res_db])
    return sp.simplify(residual), {"conditional_residuals": [str(r) for r in res_cond],
                                   "detailed_balance_residuals": [str(r) for r in res_db]}


def cross_entropy_decomposition(size: int = 3):
    """``-sum P log Q = -sum P log P + sum P log(P/Q)`` for generic distributions on ``size`` points."""
    P = sp.symbols(f"P0:{size}", positive=True)
    Q = sp.symbols(f"Q0:{size}", positive=True)
    ce = -sum(P[j] * sp.log(Q[j]) for j in range(size))
    H = -sum(P[j] * sp.log(P[j]) for j in range(size))
    KL = sum(P[j] * sp.log(P[j] / Q[j]) for j in range(size))
    residual = sp.simplify(sp.expand_log(ce - H - KL, force=True))
    return residual, {"E[-ln Q]": str(ce), "H+KL": str(H + KL)}


def dirichlet_multinomial_sequential(counts=(3, 1, 2)):
    """The sequential predictive ``prod_t (alpha_{y_t} + n_{y_t}^{<t}) / (A + t)`` telescopes to
    ``Gamma(A)/Gamma(A+n) prod_y Gamma(alpha_y + n_y)/Gamma(alpha_y)`` for symbolic ``alpha``."""
    k = len(counts)
    alpha = sp.symbols(f"alpha0:{k}", positive=True)
    A = sum(alpha)
    seq = [y for y, c in enumerate(counts) for _ in range(c)]
    seen = [0] * k
    prod = sp.Integer(1)
    for t, y in enumerate(seq):
        prod *= (alpha[y] + seen[y]) / (A + t)
        seen[y] += 1
    n = len(seq)
    closed = sp.gamma(A) / sp.gamma(A + n) * sp.Mul(*[sp.gamma(alpha[y] + counts[y]) / sp.gamma(alpha[y])
                                                      for y in range(k)])
    residual = sp.simplify(sp.gammasimp(prod - closed))
    return residual, {"counts": list(counts), "closed_form": str(closed)}


def beta_bernoulli_integral(pairs=((1, 1), (2, 3), (3, 1), (5, 2))):
    """``int_0^1 theta^s (1-theta)^f dBeta(a, b) = B(a+s, b+f) / B(a, b)``: exact integrals for
    several integer ``(a, b)`` (polynomial integrands, exact) and every split ``s + f = 4`` (the de Finetti
    mixture form of the Beta-Bernoulli coherence; the symbolic-``alpha`` telescoping is
    :func:`dirichlet_multinomial_sequential`)."""
    th = sp.Symbol("theta", positive=True)
    residuals = []
    for a, b in pairs:
        for s in range(5):
            f = 4 - s
            integral = sp.integrate(th ** (a + s - 1) * (1 - th) ** (b + f - 1), (th, 0, 1)) / sp.beta(a, b)
            closed = (sp.gamma(a + s) * sp.gamma(b + f) * sp.gamma(a + b)
                      / (sp.gamma(a + b + s + f) * sp.gamma(a) * sp.gamma(b)))
            residuals.append(sp.nsimplify(sp.simplify(sp.gammasimp(sp.expand_func(integral) - closed))))
    return sp.Add(*[sp.Abs(r) for r in residuals]), {"pairs": [[str(a), str(b)] for a, b in pairs], "n": 4}


def stirling_expansion():
    """Derive ``-Coh = n H + (K-1)/2 ln n - (K-1)/2 ln 2pi - ln Gamma(A) + sum ln Gamma(alpha_y)
    + sum (1/2 - alpha_y) ln p_y + O(1/n)`` for ``K = 2`` from Stirling's series.

    Step 1 (sympy series at infinity): ``lnGamma(z + a) - [(z + a - 1/2) ln z - z + ln(2 pi)/2] = O(1/z)``.
    Step 2: substitute that form for ``lnGamma(n + A)`` and ``lnGamma(p_y n + alpha_y)`` in the
    exact ``-Coh`` and simplify; the residual against the stated expansion must be 0."""
    z = sp.Symbol("z", positive=True)
    a = sp.Symbol("a", positive=True)
    def stirling(zz, aa):
        return (zz + aa - sp.Rational(1, 2)) * sp.log(zz) - zz + sp.log(2 * sp.pi) / 2
    remainder = sp.series(sp.loggamma(z + a) - stirling(z, a), z, sp.oo, n=1)
    remainder_is_o1 = sp.limit(sp.loggamma(z + 2) - stirling(z, 2), z, sp.oo) == 0
    n = sp.Symbol("n", positive=True)
    p = sp.Symbol("p", positive=True)
    a0, a1 = sp.symbols("alpha0 alpha1", positive=True)
    props, alphas = (p, 1 - p), (a0, a1)
    A = a0 + a1
    neg_coh = (stirling(n, A) - sp.loggamma(A)
               - sum(stirling(py * n, ay) - sp.loggamma(ay) for py, ay in zip(props, alphas)))
    H = -sum(py * sp.log(py) for py in props)
    K = 2
    expansion = (n * H + sp.Rational(K - 1, 2) * sp.log(n) - sp.Rational(K - 1, 2) * sp.log(2 * sp.pi)
                 - sp.loggamma(A) + sum(sp.loggamma(ay) for ay in alphas)
                 + sum((sp.Rational(1, 2) - ay) * sp.log(py) for py, ay in zip(props, alphas)))
    residual = sp.simplify(sp.expand_log(sp.expand(neg_coh - expansion), force=True))
    return residual, {"stirling_remainder": str(remainder), "remainder_tends_to_0": bool(remainder_is_o1),
                      "expansion": str(expansion)}


def gaussian_loo_and_kriging():
    """For a generic symmetric 3x3 covariance ``K`` (entries free symbols, precision ``L = K^-1``):
    (a) the conditional mean of ``b_0`` given ``b_1, b_2`` (Schur complement) equals
    ``b_0 - (L (b - mu))_0 / L_00`` and its variance ``1 / L_00``;
    (b) the stationary point of ``log N(b; mu, K)`` in ``b_U`` (``U = {1, 2}``) given ``b_0 = y``
    is the kriging mean ``mu_U + K_U0 K_00^-1 (y - mu_0)``."""
    k = sp.symbols("k00 k01 k02 k11 k12 k22", real=True)
    K = sp.Matrix([[k[0], k[1], k[2]], [k[1], k[3], k[4]], [k[2], k[4], k[5]]])
    L = K.inv()
    b = sp.Matrix(sp.symbols("b0:3", real=True))
    mu = sp.Matrix(sp.symbols("mu0:3", real=True))
    r = b - mu
    K_rest = K[1:, 1:]
    schur_mean = mu[0] + (K[0, 1:] * K_rest.inv() * r[1:, :])[0]
    schur_var = K[0, 0] - (K[0, 1:] * K_rest.inv() * K[1:, 0])[0]
    res_mean = sp.simplify(schur_mean - (b[0] - (L * r)[0] / L[0, 0]))
    res_var = sp.simplify(schur_var - 1 / L[0, 0])
    # kriging: grad_{b_U} of -(1/2) r^T L r is -(L r)_U = 0
    y = sp.Symbol("y", real=True)
    bu = sp.symbols("u1 u2", real=True)
    bvec = sp.Matrix([y, bu[0], bu[1]])
    grad = (L * (bvec - mu))[1:, :]
    sol = sp.solve(list(grad), bu, dict=True)[0]
    krig = mu[1:, :] + K[1:, 0] * (y - mu[0]) / K[0, 0]
    res_krig = sp.simplify(sol[bu[0]] - krig[0]) + sp.simplify(sol[bu[1]] - krig[1])
    residual = sp.simplify(sp.Abs(res_mean) + sp.Abs(res_var) + sp.Abs(res_krig))
    return residual, {"loo_mean_residual": str(res_mean), "loo_var_residual": str(res_var),
                      "kriging_residual": str(res_krig)}


def is_zero(residual) -> bool:
    return residual == 0 or sp.simplify(residual) == 0
