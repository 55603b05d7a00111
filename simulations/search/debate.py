"""Debate as coherence search (C1).

**Multi-agent debate** (Du et al. 2023): ``N`` agents answer one question; in each of ``R``
rounds every agent re-answers given the other agents' current answers. With the agents as the
items of a prior over ``Y^N`` (``P_M(b_a = y | others)`` is how agent ``a`` is swayed), a round
in which agents speak one after another (``schedule="sequential"``) is one systematic Gibbs
sweep, so rounds converge to ``Q_tau`` over answer profiles, and as ``tau -> 0`` to the most
coherent profile -- a consensus under a prior that rewards agreement. ``"synchronous"`` (all
agents read the previous round, as in the original recipe) is not Gibbs. The answer is the
majority vote.

**Adversarial debate** (Irving et al. 2018): slot ``answer_item`` of a judge prior is the answer,
the other slots are evidence facts with true values ``world``. Two debaters, arguing for answers
1 and 0, alternately reveal the unrevealed fact that most raises the judge's probability of their
answer; the judge then picks ``argmax_y log P(b_answer = y, revealed facts)``, i.e. the answer
whose claim tree (answer plus revealed evidence) is most coherent under the judge.
"""
from __future__ import annotations

import numpy as np

from theory import validation as V
from theory.markov import tempered
from theory.prior import JointPrior

from .progress import Ticker
from .result import Evaluator, SearchResult, check_labels, resolve
from .sampling import draw


def debate_prior(weights, eps, n_agents: int, k: int | None = None):
    """A prior over ``n_agents`` answers that rewards agreement: a concept mixture whose concept
    ``y`` is "everyone answers ``y``" (weight ``weights[y]``, noise ``eps[y]``). Its most coherent
    profile is the consensus on ``argmax_y log w_y + N log(1 - eps_y)`` (exactly checkable)."""
    from theory.concept_mixture import ConceptMixture

    w = V.as_float_array("weights", weights, ndim=1)
    k = w.size if k is None else k
    F = np.repeat(np.arange(w.size)[:, None], V.positive_int("n_agents", n_agents, 1), axis=1)
    eps = V.broadcast("eps", eps, w.shape, "one noise level per answer")
    return ConceptMixture(F=F, eps=eps, w=w / w.sum(), k=k)


def majority(B, k: int) -> np.ndarray:
    """Most frequent answer per row (ties: the smaller answer)."""
    B = np.atleast_2d(np.asarray(B, dtype=np.int64))
    counts = np.stack([(B == y).sum(axis=-1) for y in range(k)], axis=-1)
    return counts.argmax(axis=-1)


def debate(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """Multi-agent debate over the ``n`` agent slots of ``model`` (params: ``rounds`` 3, ``tau`` 1
    (agents sample their conditional; 0 = each takes its argmax), ``tau_final`` (geometric decay
    of ``tau`` over the rounds, None = constant), ``schedule`` "sequential"|"synchronous",
    ``init`` "zero-shot" (each agent samples its zero-shot answer)|"random"|array, ``debates``
    (independent debates run side by side; all final profiles in ``extras["final_all"]``)).
    ``labels`` fix agents' answers (stubborn agents)."""
    p = resolve("debate", params, {"rounds": 3, "tau": 1.0, "tau_final": None, "schedule": "sequential",
                                   "init": "zero-shot", "debates": 1})
    rng = np.random.default_rng(seed)
    ev = Evaluator(model)
    n, k = model.n, model.k
    D = V.positive_int("debates", p["debates"], 1)
    R = V.positive_int("rounds", p["rounds"], 0)
    tau0 = V.non_negative("tau", p["tau"])
    taus = [tau0] * R if p["tau_final"] is None or R < 2 else \
        list(tau0 * (float(V.positive("tau_final", p["tau_final"])) / tau0) ** (np.arange(R) / (R - 1)))
    if isinstance(p["init"], str) and p["init"] == "zero-shot":
        B = draw(np.broadcast_to(np.exp(ev.zero_shot()), (D, n, k)).reshape(-1, k), rng).reshape(D, n)
    elif isinstance(p["init"], str) and p["init"] == "random":
        B = rng.integers(0, k, size=(D, n))
    elif isinstance(p["init"], str):
        raise ValueError(f"init must be 'zero-shot', 'random' or an answer array, got {p['init']!r}")
    else:
        B = np.broadcast_to(V.behaviours(np.asarray(p["init"]), n, k, name="init"), (D, n)).astype(np.int64).copy()
    fixed = check_labels(labels, n, k)
    for a, y in fixed.items():
        B[:, a] = y
    agents = np.array([a for a in range(n) if a not in fixed], dtype=np.int64)
    idx = np.arange(n)
    coh = [float(ev.joint(B[:1])[0])]
    votes = [int(majority(B[:1], k)[0])]
    accepted = 0
    ticker = Ticker(progress, R)                            # one unit per round
    for r in range(R):
        prev = B.copy()
        for a in agents:
            src = B if p["schedule"] == "sequential" else prev
            if p["schedule"] not in ("sequential", "synchronous"):
                raise ValueError(f"schedule must be 'sequential' or 'synchronous', got {p['schedule']!r}")
            prob = tempered(ev.conditional(src, a, idx[idx != a]), taus[r])
            new = draw(prob, rng) if taus[r] > 0 else prob.argmax(axis=-1)
            accepted += int((new != B[:, a]).sum())
            B[:, a] = new
        coh.append(float(ev.joint(B[:1])[0]))
        votes.append(int(majority(B[:1], k)[0]))
        ticker.advance()
    ticker.finish()
    maj = majority(B, k)
    extras = {"majority": int(maj[0]), "consensus": bool(np.all(B[0] == B[0, 0])), "votes_by_round": votes,
              "taus": [float(t) for t in taus], "trace_evaluations": ev.trace_count,
              "score": "majority answer of debate 0 after each round"}
    if D > 1:
        extras["final_all"] = B
        extras["majority_all"] = maj
    return SearchResult(behaviours=B[0].copy(), coherence_trace=np.array(coh), score_trace=np.array(votes, dtype=float),
                        accepted=accepted, evaluations=ev.count, method="debate", seed=seed, params=p, extras=extras)


def _judge_log(model, ev, b, answer_item: int, revealed) -> np.ndarray:
    """``log P(b_answer = y, revealed)`` up to a constant in ``y``: the claim-tree coherence."""
    rev = np.asarray(sorted(revealed), dtype=np.int64)
    if isinstance(model, JointPrior):
        out = []
        for y in range(model.k):
            c = b.copy()
            c[answer_item] = y
            out.append(float(model.log_marginal(c[None], np.append(rev, answer_item))[0]))
        ev.count += 1
        return np.array(out)
    return ev.conditional(b[None], answer_item, rev)[0]


def adversarial_debate(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """Two debaters (for answers 1 and 0) reveal true facts of ``world`` (an ``(n,)`` vector; its
    ``answer_item`` entry is the true answer) for ``rounds`` rounds each (default: until no fact
    is left); the judge decides by the claim-tree coherence. Binary answers.
    ``extras``: ``decision``, ``naive_decision`` (judge with no evidence), ``revealed`` [(debater,
    item)], ``claim_tree_coherence`` (nats, per answer, at the end)."""
    p = resolve("debate-adversarial", params, {"world": None, "answer_item": 0, "rounds": None, "first": 1})
    if model.k != 2:
        raise ValueError(f"debate-adversarial needs binary answers (k = 2), got k = {model.k}")
    if p["world"] is None:
        raise ValueError("debate-adversarial needs world: the (n,) vector of true answer and facts")
    world = V.behaviours(np.asarray(p["world"]), model.n, model.k, name="world").astype(np.int64).reshape(-1)
    ans = V.positive_int("answer_item", p["answer_item"], 0, model.n - 1)
    ev = Evaluator(model)
    facts = [j for j in range(model.n) if j != ans]
    R = len(facts) if p["rounds"] is None else V.positive_int("rounds", p["rounds"], 0)
    revealed: list = []
    log = []
    naive = _judge_log(model, ev, world, ans, [])
    coh = [float(naive[world[ans]])]
    turn = int(p["first"])
    ticker = Ticker(progress, 2 * R)                        # one unit per reveal; ends early when no fact is left
    for _ in range(2 * R):
        left = [j for j in facts if j not in revealed]
        if not left:
            break
        gains = []
        for j in left:
            lj = _judge_log(model, ev, world, ans, revealed + [j])
            gains.append(lj[turn] - np.logaddexp(lj[0], lj[1]))
        pick = left[int(np.argmax(gains))]
        revealed.append(pick)
        log.append((turn, pick))
        coh.append(float(_judge_log(model, ev, world, ans, revealed)[world[ans]]))
        turn = 1 - turn
        ticker.advance()
    ticker.finish()
    final = _judge_log(model, ev, world, ans, revealed)
    decision = int(np.argmax(final))
    b = world.copy()
    b[ans] = decision
    extras = {"decision": decision, "naive_decision": int(np.argmax(naive)), "correct": decision == world[ans],
              "revealed": log, "claim_tree_coherence": final.tolist(),
              "score": "judge log-probability of the true answer's claim tree after each reveal (nats, unnormalised)"}
    return SearchResult(behaviours=b, coherence_trace=np.array(coh), score_trace=np.array(coh), accepted=len(log),
                        evaluations=ev.count, method="debate-adversarial", seed=seed, params=p, extras=extras)
