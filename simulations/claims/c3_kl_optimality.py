"""C3: the regulariser closest in KL to the task distribution is best. The model is
``Q = (1 - delta) P*(b) + delta P*(1 - b)`` (contamination with the flipped world; ``delta = 0``
is ``P*``). Tempering ``P*^beta`` would not do: it keeps the order of the maps, hence the MAP. Averaged over tasks
``pi* ~ P*``, ``E[-ln Q(pi*)] = H(P*) + KL(P* || Q)`` (checked against its Monte Carlo estimate), and the
expected accuracy with ``m`` labels (computed exactly from the true posterior) is best at
``beta = 1``. Decision-theoretic caveat: there the per-item marginal decoder beats the joint MAP.

``P*`` of the checks of C3 (:func:`task_prior`: a fixed task distribution) is defined here too; the
checks (:mod:`proofs_check.c3_optimality`) and regime R13 (:mod:`simulations.regimes.r13_many_labels`)
draw tasks from it. The figure's model ``Q`` is a random task distribution instead
(:func:`simulations.claims.c2_lambda_eta.random_task_prior`).
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import Enumerated
from simulations.experiments.instance import Instance
from proofs_check.verdicts import verdict_of
from theory import ConceptMixture, entropy, kl_divergence
from theory.decoders import tie_set
from theory.misspecification import contaminate
from theory.statistics import rng_for

from simulations.experiments.base import fmt
from simulations.claims.c2_lambda_eta import random_task_prior
from simulations.experiments.regime import measure, regime_experiment


def task_prior(n: int) -> ConceptMixture:
    """``P*``: four concepts (random maps from ``default_rng(0)``) with noise 0.05..0.3 and weights 0.4..0.1."""
    rng = np.random.default_rng(0)
    return ConceptMixture(F=rng.integers(0, 2, (4, n)), eps=[0.05, 0.1, 0.2, 0.3], w=[0.4, 0.3, 0.2, 0.1],
                          names=("c0", "c1", "c2", "c3"))


def params(quick: bool) -> dict:
    return {"n": 10, "K": 4, "eps": 0.15, "m": 3, "xs": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
            "seeds": list(range(12 if quick else 48))}


def instance(p: dict, x: float, seed: int) -> Instance:
    rng = rng_for(seed, 30)
    n = p["n"]
    true = random_task_prior(rng, n, p["K"], p["eps"])
    model = true if x == 0 else contaminate(true, x)
    truth = true.sample(rng, 1)[0]
    S = rng.choice(n, p["m"], replace=False)
    labels = {int(i): int(truth[i]) for i in S}
    U = np.setdiff1d(np.arange(n), S)
    Et, Em = Enumerated(true), Enumerated(model)
    post = Et.scores(labels)
    post = np.exp(post - post.max())
    post /= post.sum()
    marg_true = post @ Et.B                                  # P*(b_i = 1 | labels): exact expectation
    def exp_acc(b):
        return float(np.where(b[..., U] == 1, marg_true[U], 1 - marg_true[U]).mean())
    top = tie_set(Em.scores(labels))
    map_acc = exp_acc(Em.B[top])
    mm = Em.posterior_marginals(labels)
    marg_dec = np.where(np.abs(mm - 0.5) < 1e-12, 0.5, (mm > 0.5).astype(float))
    marg_acc = float((marg_dec[U] * marg_true[U] + (1 - marg_dec[U]) * (1 - marg_true[U])).mean())
    meas = {"map_accuracy": map_acc, "marginal_accuracy": marg_acc,
            "codelength_truth_nats": float(-model.log_joint(truth)),
            "entropy_plus_kl_nats": float(entropy(true) + kl_divergence(true, model)),
            "kl_nats": float(kl_divergence(true, model))}
    return Instance(true, truth, methods=(), measures=meas)


def _panel(ax, d):
    x = np.asarray(d["x"], dtype=float)
    cl, hk = measure(d, "codelength_truth_nats"), measure(d, "entropy_plus_kl_nats")
    lo, hi = measure(d, "codelength_truth_nats", "lo"), measure(d, "codelength_truth_nats", "hi")
    ax.plot(x, cl, "o-", color="#0072B2", label="measured mean -ln Q(pi*) over tasks (95% CI)")
    ax.fill_between(x, lo, hi, color="#0072B2", alpha=0.15, lw=0)
    ax.plot(x, hk, "s--", color="#D55E00", label="exact H(P*) + KL(P* || Q)")
    ax.plot(x, measure(d, "kl_nats"), "^:", color="#009E73", label="exact KL(P* || Q)")
    ax.set_xlabel("contamination delta of Q = (1-delta) P*(b) + delta P*(1-b)")
    ax.set_ylabel("nats")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1, frameon=False)
    ax.set_title("expected description length of the truth = H + KL", fontsize=9.5)


def finding(d) -> str:
    mp, mg = measure(d, "map_accuracy"), measure(d, "marginal_accuracy")
    j1 = d["x"].index(0.0)
    kl = measure(d, "kl_nats")
    jk = int(np.nanargmax(kl))
    dl_gap = np.nanmax(np.abs(measure(d, "codelength_truth_nats") - measure(d, "entropy_plus_kl_nats")))
    return (f"Expected accuracy with 3 labels is highest at Q = P* (KL = 0) for the MAP ({fmt(mp[j1], 3)}) "
            f"and the marginal decoder ({fmt(mg[j1], 3)}), and falls to {fmt(mp[jk], 3)} and {fmt(mg[jk], 3)} "
            f"at KL = {fmt(kl[jk])} nats; E[-ln Q(pi*)] tracks H + KL within {fmt(dl_gap)} nats.")


def verdict(d) -> str:
    mp, mg = measure(d, "map_accuracy"), measure(d, "marginal_accuracy")
    j1 = d["x"].index(0.0)
    ok = mg[j1] >= np.nanmax(mg) - 1e-9 and mg[j1] >= mp[j1] - 1e-9 and mp[j1] >= np.nanmax(mp) - 0.01
    return verdict_of(ok)


EXPERIMENT = regime_experiment(
    id="C3-kl-optimality", claims=["C3"], module=__name__, params=params, boundaries=lambda p: [
        {"x": 0.0, "label": "Q = P* (KL = 0): predicted optimum"}], finding=finding, verdict=verdict,
    measure_lines={"map_accuracy": "joint MAP under Q (expected accuracy)",
                   "marginal_accuracy": "marginal decoder under Q"},
    extra_panel=_panel, ylim=(None, None),
    title="C3: accuracy with 3 labels is best when the regulariser Q equals the task distribution P* (n = 10)",
    prediction="E[-ln Q(pi*)] = H(P*) + KL(P*||Q); accuracy best at Q = P*; per-item marginal decoding beats joint MAP",
    ylabel="expected accuracy on unlabelled items", xlabel="contamination delta with the flipped world (probability)")
