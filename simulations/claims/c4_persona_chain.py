"""C4 and the paper's preliminary experiment: Gibbs sampling with in-context (leave-one-out)
conditionals on a persona mixture locks each run into one persona. Diversity survives across
runs, not within a run; the exact spectral gap of the two-persona chain shrinks exponentially
with ``n`` (metastability); the training-friendly variant, where each conditional sees a random
fraction ``rho`` of the other items, behaves alike.

Persona of a state ``b`` = ``argmax_k P(persona k | b)`` (:meth:`ConceptMixture.concept_posterior`).
Within-run diversity = entropy (nats) of the persona occupancy over a run's sweeps after burn-in;
across-run diversity = entropy of the final personas over runs (``log K`` is uniform).

The two-persona chain (:func:`two_personas`, :func:`persona_chain`) is defined here once: the
figure's gap panel and the checks of :mod:`proofs_check.c4_persona_collapse` both read it.
"""
from __future__ import annotations

import math

import numpy as np

from theory import ConceptMixture, all_behaviours
from theory.markov import gibbs_matrix, spectral_gap
from theory.softmax import log_coherence_table
from theory.statistics import mean_ci, rng_for

from simulations.experiments.base import Experiment, fmt

#: the personas' noise (flip probability) in the checks of C4
EPS = 0.1


def two_personas(n: int, eps: float = EPS) -> ConceptMixture:
    """Persona A (a fixed random map) and persona B (its negation), equal weights, noise ``eps``."""
    f = np.random.default_rng(7).integers(0, 2, 32)[:n]
    return ConceptMixture(F=np.stack([f, 1 - f]), eps=[eps, eps], w=[0.5, 0.5], names=("A", "B"))


def persona_chain(n: int, eps: float = EPS) -> dict:
    """Gap, conductance of the cut {closer to A} | {closer to B} (odd ``n``: no ties) and masses."""
    p = two_personas(n, eps)
    T = gibbs_matrix(p, 1.0, as_sparse=True)
    pi = np.exp(log_coherence_table(p))
    gap = spectral_gap(T, pi)
    B = all_behaviours(n, 2)
    side_A = (B == p.F[0]).sum(1) > n / 2
    flow = float(pi[side_A] @ (T[side_A][:, ~side_A].sum(axis=1).A1))
    phi = flow / min(pi[side_A].sum(), pi[~side_A].sum())
    return {"n": n, "gap": gap, "conductance": phi, "mass_A": float(pi[side_A].sum()), "T": T, "side_A": side_A, "p": p}


ID = "C4-persona-collapse"


def params(quick: bool) -> dict:
    return {"K": 3, "eps": 0.1, "runs": 12 if quick else 32, "sweeps": 40 if quick else 100, "burn": 5,
            "ns": [6, 12, 24] if quick else [6, 12, 24, 48], "rhos": [1.0, 0.75, 0.5, 0.25], "rho_n": 24,
            "gap_ns": list(range(2, 11)) if quick else list(range(2, 13)), "gap_eps": 0.1,
            "seeds": list(range(4 if quick else 8))}


def personas(n: int, K: int, eps: float, seed: int) -> ConceptMixture:
    rng = rng_for(seed, 40, n)
    return ConceptMixture(F=rng.integers(0, 2, (K, n)), eps=np.full(K, eps), w=np.full(K, 1.0 / K))


def _entropy(labels, K) -> float:
    p = np.bincount(np.asarray(labels), minlength=K) / len(labels)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def run_chains(p: dict, n: int, rho: float, seed: int) -> dict:
    """``runs`` independent chains, one sweep at a time through ``run_search``; persona per sweep."""
    from simulations.search import run_search

    prior = personas(n, p["K"], p["eps"], seed)
    method = "gibbs" if rho >= 1.0 else "gibbs-rho"
    extra = {} if rho >= 1.0 else {"rho": rho}
    rng = rng_for(seed, 41, n)
    B = rng.integers(0, 2, (p["runs"], n))
    traj = []
    for t in range(p["sweeps"]):
        res = run_search(method, prior, seed=int(rng.integers(2**31)), sweeps=1, chains=p["runs"], init=B,
                         trace_every=0, **extra)
        B = np.asarray(res.extras["chains_final"], dtype=np.int64)
        traj.append(prior.concept_posterior(B).argmax(axis=1))
    traj = np.array(traj)                                     # (sweeps, runs)
    post = traj[p["burn"]:]
    within = [_entropy(post[:, r], p["K"]) for r in range(p["runs"])]
    lock = [float(np.mean(post[:, r] == np.bincount(post[:, r], minlength=p["K"]).argmax())) for r in range(p["runs"])]
    return {"within": float(np.mean(within)), "across": _entropy(traj[-1], p["K"]), "lock": float(np.mean(lock)),
            "trajectory": traj.T.tolist()}


def gap_point(p: dict, n: int) -> dict:
    """Exact gap ``1 - lambda_2`` of random-scan Gibbs (tau = 1) on :func:`two_personas` with noise ``gap_eps``."""
    return {"gap": persona_chain(n, p["gap_eps"])["gap"]}


def evaluate(point: dict) -> dict:
    p = point["params"]
    if point["part"] == "gap":
        return gap_point(p, point["n"])
    return run_chains(p, point["n"], point["rho"], point["seed"])


def points(p: dict) -> list:
    out = [{"part": "chains", "n": n, "rho": 1.0, "seed": s, "params": p} for n in p["ns"] for s in p["seeds"]]
    out += [{"part": "chains", "n": p["rho_n"], "rho": r, "seed": s, "params": p} for r in p["rhos"] if r < 1.0
            for s in p["seeds"]]
    out += [{"part": "gap", "n": n, "params": p} for n in p["gap_ns"]]
    return out


def summarize(p: dict, results: list) -> dict:
    pts = points(p)
    rows = list(zip(pts, results))

    def agg(sel):
        got = [r for q, r in rows if sel(q)]
        return {k: mean_ci([g[k] for g in got]) for k in ("within", "across", "lock")}

    by_n = {str(n): agg(lambda q, n=n: q["part"] == "chains" and q["n"] == n and q["rho"] == 1.0) for n in p["ns"]}
    by_rho = {str(r): agg(lambda q, r=r: q["part"] == "chains" and q["n"] == p["rho_n"] and q["rho"] == r)
              for r in p["rhos"]}
    gaps = [r["gap"] for q, r in rows if q["part"] == "gap"]
    ns = np.array(p["gap_ns"], dtype=float)
    tail = ns >= 4
    slope, icpt = np.polyfit(ns[tail], np.log(gaps)[tail], 1)
    resid = np.log(gaps)[tail] - (slope * ns[tail] + icpt)
    r2 = 1 - resid.var() / np.log(gaps)[tail].var()
    example = next(r for q, r in rows if q["part"] == "chains" and q["n"] == p["ns"][-1] and q["rho"] == 1.0)
    return {"by_n": by_n, "by_rho": by_rho, "gap_n": p["gap_ns"], "gap": gaps,
            "gap_fit": {"rate_per_item": float(-slope), "intercept": float(icpt), "r2": float(r2)},
            # bottleneck mass of the two-persona prior: the middle Hamming layer carries about
            # 2^n (eps (1-eps))^(n/2), so the gap decays at most like exp(-n log(1/(2 sqrt(eps(1-eps)))))
            "predicted_rate_per_item": float(-math.log(2 * math.sqrt(p["gap_eps"] * (1 - p["gap_eps"])))),
            "example_trajectories": example["trajectory"], "example_n": p["ns"][-1], "log_K": math.log(p["K"]),
            "rho_n": p["rho_n"]}


def plot(d: dict):
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    fig, axes = plt.subplots(2, 2, figsize=(12.5, 8.6), layout="constrained")
    ax = axes[0, 0]
    traj = np.array(d["example_trajectories"])
    cmap = ListedColormap(["#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2"][: int(traj.max()) + 1])
    ax.imshow(traj, aspect="auto", cmap=cmap, interpolation="nearest")
    ax.set_xlabel("Gibbs sweep (one sweep = n updates)")
    ax.set_ylabel("independent run")
    ax.set_title(f"persona of the state per sweep, n = {d['example_n']} (colour = persona)", fontsize=9.5)

    ax = axes[0, 1]
    ns = sorted(int(k) for k in d["by_n"])
    for key, lab, col, mk in (("within", "within a run (entropy of persona occupancy)", "#D55E00", "o"),
                              ("across", "across runs (entropy of final personas)", "#0072B2", "s")):
        m = [d["by_n"][str(n)][key]["mean"] for n in ns]
        lo = [d["by_n"][str(n)][key]["lo"] for n in ns]
        hi = [d["by_n"][str(n)][key]["hi"] for n in ns]
        ax.errorbar(ns, m, yerr=[np.subtract(m, lo), np.subtract(hi, m)], marker=mk, color=col, capsize=3, label=lab)
    ax.axhline(d["log_K"], ls="--", color="#555555", label="log K (all personas equally often)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(ns)
    ax.set_xticklabels([str(n) for n in ns])
    ax.minorticks_off()
    ax.set_xlabel("number of contexts n (items, log scale)")
    ax.set_ylabel("diversity (nats)")
    ax.set_ylim(-0.05, d["log_K"] * 1.25)
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=1, frameon=False)
    ax.set_title("diversity survives across runs, not within a run", fontsize=9.5)

    ax = axes[1, 0]
    n, g = np.array(d["gap_n"], dtype=float), np.array(d["gap"], dtype=float)
    ax.semilogy(n, g, "o", color="#0072B2", label="exact spectral gap 1 - lambda_2")
    f = d["gap_fit"]
    ax.semilogy(n, np.exp(f["intercept"] - f["rate_per_item"] * n), "--", color="#D55E00",
                label=f"fit exp(-{f['rate_per_item']:.2f} n), R^2 = {f['r2']:.3f} (n >= 4)")
    r = d["predicted_rate_per_item"]
    ax.semilogy(n, g[-1] * np.exp(-r * (n - n[-1])), ":", lw=2, color="#444444",
                label=f"closed-form bottleneck rate exp(-{r:.2f} n) (through the last point)")
    ax.set_xlabel("number of contexts n (items)")
    ax.set_ylabel("spectral gap (per Gibbs update)")
    ax.legend(fontsize=7.5, frameon=False)
    ax.grid(alpha=0.3, which="both")
    ax.set_title("two personas a and 1-a (eps 0.1): the gap shrinks exponentially", fontsize=9.5)

    ax = axes[1, 1]
    rhos = sorted((float(k) for k in d["by_rho"]), reverse=True)
    for key, lab, col, mk in (("within", "within-run diversity", "#D55E00", "o"),
                              ("across", "across-run diversity", "#0072B2", "s"),
                              ("lock", "fraction of sweeps in the run's main persona", "#009E73", "^")):
        m = [d["by_rho"][str(r)][key]["mean"] for r in rhos]
        ax.plot(rhos, m, marker=mk, color=col, label=lab)
    ax.set_xlabel("context fraction rho seen by each conditional (1 = Gibbs)")
    ax.set_ylabel("nats / fraction")
    ax.set_ylim(-0.05, 1.3)
    ax.invert_xaxis()
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, frameon=False)
    ax.set_title(f"random context exclusion: each conditional sees a fraction rho (n = {d['rho_n']})", fontsize=9.5)
    return fig


def finding(d) -> str:
    big = d["by_n"][str(max(int(k) for k in d["by_n"]))]
    return (f"At n = {max(int(k) for k in d['by_n'])} each Gibbs run stays in one persona for "
            f"{fmt(big['lock']['mean'])} of its sweeps "
            f"(within-run diversity {fmt(big['within']['mean'])} nats vs {fmt(big['across']['mean'])} across runs, "
            f"log K = {fmt(d['log_K'])}); "
            f"the exact spectral gap decays like exp(-{fmt(d['gap_fit']['rate_per_item'])} n) "
            f"(R^2 {fmt(d['gap_fit']['r2'], 3)}; "
            f"bottleneck-mass rate {fmt(d['predicted_rate_per_item'])}); "
            f"with context fraction rho = {', '.join(k for k in sorted(d['by_rho'], key=float, reverse=True))} "
            "the lock-in fraction is "
            f"{', '.join(fmt(d['by_rho'][k]['lock']['mean']) for k in sorted(d['by_rho'], key=float, reverse=True))}.")


def verdict(d) -> str:
    big = d["by_n"][str(max(int(k) for k in d["by_n"]))]
    rho_ok = all(v["lock"]["mean"] > 0.9 for v in d["by_rho"].values())
    ok = (big["lock"]["mean"] > 0.9 and big["within"]["mean"] < 0.5 * big["across"]["mean"] and
          d["gap_fit"]["rate_per_item"] > 0 and d["gap_fit"]["r2"] > 0.95)
    return ("holds" if rho_ok else "holds-under-conditions") if ok else "fails"


EXPERIMENT = Experiment(
    id=ID, claims=["C4", "C1"], title="C4: Gibbs with in-context conditionals collapses to one persona per run",
    prediction="a single Gibbs run locks into one persona (spectral gap exponentially small in n); diversity only "
               "across runs; the rho context-exclusion variant behaves alike",
    params=params, points=points, evaluate=evaluate, summarize=summarize, plot=plot, finding=finding, verdict=verdict)
