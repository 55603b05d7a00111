"""The unified searches over any pretrained prior (docs/theory.md claim C1), behind one entry point.

    from simulations.search import run_search, SearchResult, METHODS
    res = run_search("gibbs", model, labels={0: 1}, constraints=None, seed=0, sweeps=50, tau=1.0)

``model`` is any :class:`theory.prior.Prior`; searches use only ``log_conditional`` /
``log_loo`` (counted in ``res.evaluations``) and take fast incremental paths when the model offers
:meth:`theory.prior.Prior.concept_structure` (a concept mixture). ``labels`` clamps items (``{item: behaviour}``),
``constraints`` is a :class:`simulations.search.constraints.Constraints`. ``METHODS`` maps each
method name to ``(callable, one-line description)``; the callable has the signature of
:func:`run_search` without the method name.
"""
from __future__ import annotations

from theory import validation as V

from . import baselines, bootstrap, debate, exact, gibbs, icm, power_sampling
from .constraints import Constraints
from .progress import check_progress
from .result import SearchResult, check_labels

#: method name -> (callable(model, *, labels, constraints, seed, progress, **params) -> SearchResult, description)
METHODS = {
    "exact-argmax": (exact.exact_argmax, "argmax of coherence by enumeration (all tied maxima in extras)"),
    "joint-map": (exact.joint_map, "joint MAP under the prior given the labels (noise eta), by enumeration"),
    "marginal-decoder": (exact.marginal_decoder,
                         "per-item argmax of the exact posterior marginals (max expected accuracy)"),
    "srm": (exact.srm, "minimiser of J_lambda = label loss + lambda * DL over Y^n by enumeration"),
    "occam-srm": (exact.occam_srm, "minimiser of the Occam bound R_S + sqrt((-ln Q + ln 1/delta) / 2m)"),
    "gibbs": (gibbs.gibbs, "tempered Gibbs sampling with leave-one-out conditionals (random or systematic scan)"),
    "annealed-gibbs": (gibbs.annealed_gibbs,
                       "Gibbs with tau decreasing (log or exponential schedule) to maximise coherence"),
    "gibbs-rho": (gibbs.gibbs_rho,
                  "training-friendly Gibbs: each conditional sees a random fraction rho of the other demos"),
    "bootstrap": (bootstrap.bootstrap,
                  "sequential bootstrap: relabel items one at a time with the LOO argmax (coordinate ascent)"),
    "bootstrap-sync": (bootstrap.bootstrap_sync,
                       "synchronous bootstrap: relabel every item from the previous round's labels"),
    "bootstrap-train": (bootstrap.bootstrap_train,
                        "training bootstrap: refit a parametric model on its own labels each round"),
    "icm": (icm.icm, "Internal Coherence Maximization as in the released code (signed LOO log-odds, alpha*P - I)"),
    "icm-paper": (icm.icm_paper,
                  "Internal Coherence Maximization as in the paper (sum of LOO log-probs, iteration schedule)"),
    "debate": (debate.debate,
               "multi-agent debate: agents re-answer given the others (Gibbs over agent slots), majority vote"),
    "debate-adversarial": (debate.adversarial_debate,
                           "two debaters reveal evidence, the judge prior picks the more coherent claim tree"),
    "power-sampling": (power_sampling.power_sampling,
                       "Metropolis-Hastings on p^alpha with suffix proposals from p (p = sequential prior)"),
    "zero-shot": (baselines.zero_shot, "per-item argmax of the zero-shot conditional"),
    "self-consistency": (baselines.self_consistency,
                         "per-item majority over samples drawn from the prior's conditionals"),
    "supervised": (baselines.supervised, "fit on the labelled set only, predict the rest"),
    "self-training": (baselines.self_training, "pseudo-labelling: add predictions above a confidence threshold, refit"),
    "entropy-min": (baselines.entropy_min,
                    "fit minimising label NLL + lambda * prediction entropy on unlabelled items"),
    "ccs": (baselines.ccs, "CCS-like probe trained for negation consistency and confidence only (flip-symmetric)"),
}


def run_search(method: str, model, *, labels: dict | None = None, constraints=None, seed: int = 0,
               progress=None, **params) -> SearchResult:
    """Run one search (``method`` a key of :data:`METHODS`) on ``model`` and return its result.

    ``labels``: ``{item: behaviour}`` clamped/observed items; ``constraints``: logical-consistency
    constraints (:class:`~simulations.search.constraints.Constraints`) or None; ``seed``: an integer
    ``>= 0``, the only source of randomness (``numpy.random.default_rng(seed)``); ``params``: method parameters
    (see each method's docstring; unknown names raise ``ValueError``).

    ``progress``: None or a callable ``progress(done, total)``. The search calls it with ``done``
    non-decreasing in ``0..total``, counted in its own units (sweeps for the Gibbs family and
    ``bootstrap``, rounds for ``bootstrap-sync``, ``bootstrap-train`` and ``debate``, steps for the
    ICM and power-sampling searches, enumeration blocks of ``Y^n`` for the exact searches, reveals
    for ``debate-adversarial``, sampled positions, fits or restarts for the baselines; one unit for
    one-shot methods such as ``zero-shot``; docs/searches.md lists each ``total``): first
    ``(0, total)``, then at most about ``progress.MAX_CALLS`` calls (once per unit, never per item update),
    then ``(total, total)`` on return, also when the search stops early. It does not change the
    result. :class:`simulations.search.progress.StderrBar` turns it into a bar on stderr.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    check_progress(progress)
    seed = V.seed("seed", seed)
    V.prior("model", model)
    labels = check_labels(labels, model.n, model.k)
    if constraints is not None:
        if not isinstance(constraints, Constraints):
            raise ValueError("constraints must be a simulations.search.constraints.Constraints or None, "
                             f"got {type(constraints).__name__}")
        if constraints.n != model.n:
            raise ValueError(f"constraints cover n = {constraints.n} items but the model has n = {model.n}")
    return METHODS[method][0](model, labels=labels, constraints=constraints, seed=seed, progress=progress,
                              **params)


__all__ = ["run_search", "SearchResult", "METHODS"]
