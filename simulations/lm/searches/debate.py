"""Multi-agent debate over label words on a real model, and its no-interaction baseline.

``K`` agents (copies of one model) answer each item with one of its two label words.

* **Round 0**: agent ``a`` samples its answer from its zero-shot label distribution
  ``P_M(y | x_i)`` tempered at ``tau`` (``softmax(log P / tau)``).
* **Rounds 1..R**: every agent answers again after reading the other agents' current answers.
  ``schedule="sequential"`` (default): agents ``0..K-1`` speak in turn and each reads the
  others' answers as they stand, so a round is one systematic Gibbs sweep over the agents
  (docs/theory.md C1, Debate); ``"simultaneous"`` (Du et al. 2023): every agent reads the
  previous round.
* The debate on an item stops at **consensus** (every agent gives the same answer) or after
  ``R`` rounds. Its label is the consensus, else the majority; a tie (even ``K``) is noted and
  broken toward the label with the larger mean over agents of their round-0 log-probability
  (the zero-shot conditional, after the agent's demonstrations when it has some), then label 0.

**The template.** The other agents' answers are shown in the prior's own demonstration format,
as answered copies of the item, in agent order: the prompt of agent ``a`` on item ``i`` when
the others answered ``u_1..u_m`` (agents ``!= a``, ascending) is

    header + demos_a + (q_i + " " + w_{u_1} + sep) + ... + (q_i + " " + w_{u_m} + sep) + q_i

with ``q_i`` the item's query, ``w_y`` the task's label words and ``sep`` the demonstration
separator (``PromptFormat``: a blank line). So ``P(b_a = y | x_i, others) = P_M(y | x_i; D)``
with ``D`` the others' answers as demonstrations on copies of the item: exactly the theory's
leave-one-out conditional with the agents as the contexts, and the item's query is the prefix
every prompt of the item shares (after ``demos_a``). The prompt shows answers, never which
agent gave them, so a conditional depends on the tuple of shown answers (and the agent's
demonstrations) only.

**Diversity.** Agent ``a`` draws its uniforms from its own stream, ``rng_for(seed, 1, a, r)``
in round ``r`` (answer ``y = 1`` iff ``u >= P(y = 0)``: the inverse CDF over the labels in
order), so records are deterministic per seed and agents differ by seed. With ``shots > 0``
each agent also gets its own demonstrations: ``shots`` items drawn with ``rng_for(seed, 2, a)``
(the queried item left out), labelled with the model's zero-shot argmax: no gold is read.

**Self-consistency** (Wang et al. 2022) is round 0 alone: the majority of the ``K``
independent samples, the same draws as the debate's round 0.

Per run: accuracy against gold, accuracy under the task's constraint (the vote fractions'
smoothed log-odds ``log((c_1 + 1/2) / (c_0 + 1/2))`` projected by
:func:`simulations.lm.searches.chunked.project`; among equal vote counts the zero-shot tie rule orders
items), forward tokens, and the tokens the same prompts would cost with no shared prefix. Beside
them, for the accuracy-against-rounds figure: the majority's accuracy after every round
(``accuracy_by_round``) and the no-interaction baseline at matched samples, the majority of
``K (r + 1)`` independent zero-shot answers (``independent_majority_by_round``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from theory.markov import tempered
from theory.statistics import rng_for

SCHEDULES = ("sequential", "simultaneous")
#: ``rng_for(seed, STREAM_ANSWERS, agent, round)``: an agent's uniforms; ``STREAM_DEMOS``: its demos
STREAM_ANSWERS, STREAM_DEMOS = 1, 2
#: ``rng_for(seed, STREAM_INDEPENDENT, agent, round)``: the extra draws of the matched-sample baseline
STREAM_INDEPENDENT = 5
TEMPLATE = ("header + agent demos + (query + ' ' + label word of each other agent's answer, in agent order, + "
            "separator) + query")


@dataclass(frozen=True)
class DebateConfig:
    """``agents`` K in 2..10; ``rounds`` R after round 0; ``tau`` sampling temperature (0 = each
    agent takes its argmax); ``shots`` demonstrations per agent (0 = none); ``schedule``
    ``sequential`` (a Gibbs sweep per round) or ``simultaneous`` (all read the previous round)."""

    agents: int = 3
    rounds: int = 5
    tau: float = 1.0
    shots: int = 0
    schedule: str = "sequential"

    def __post_init__(self):
        for name, lo, hi in (("agents", 2, 10), ("rounds", 0, None), ("shots", 0, None)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo or (hi is not None and v > hi):
                where = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"
                raise ValueError(f"{name} must be an integer {where}, got {v!r}")
        if not (isinstance(self.tau, (int, float)) and np.isfinite(self.tau) and self.tau >= 0):
            raise ValueError(f"tau must be a finite number >= 0, got {self.tau!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")


def encode_tuples(U) -> np.ndarray:
    """Binary tuples ``(rows, m)`` -> integer codes (first entry most significant)."""
    U = np.asarray(U, dtype=np.int64)
    return U @ (2 ** np.arange(U.shape[-1] - 1, -1, -1, dtype=np.int64))


class AgentConditionals:
    """``log P_M(y | x_i; demos_a, others' answers u)`` (nats, ``(k,)`` per tuple) for the
    debate template (module docstring), memoised by ``(item, agent, tuple)``.

    Built on one prior over ``K`` copies of the task's queries (:func:`~simulations.lm.backends.where.
    make_prior`: local weights or a served model), so copy ``c >= 1`` of item ``i`` carries the
    ``c``-th shown answer and copy 0 is the query; one prior means one key/value store and one
    token count for the whole run."""

    def __init__(self, model, queries, label_words, agents: int, shots: int = 0, seed: int = 0):
        from simulations.lm.backends.where import make_prior
        from simulations.lm.backends.prior import PromptFormat

        self.n, self.K = len(queries), int(agents)
        self.prior = make_prior(model, list(queries) * self.K, PromptFormat(label_words=tuple(label_words)))
        if self.prior.k != 2:
            raise ValueError(f"debate needs two label words, got {tuple(label_words)}")
        self._memo: dict = {}
        self.prompt_tokens = 0  # what the scored prompts would cost with no shared prefix (local only)
        self.shots = 0
        self.demos = [np.zeros(0, dtype=np.int64)] * self.K
        self.demo_labels = np.zeros(self.n, dtype=np.int64)
        #: ``(n, k)`` nats: every item's conditional with no demonstration and no shown answer
        self.zero_shot = np.stack([self.log_probs(i, 0, np.zeros((1, 0), np.int64))[0] for i in range(self.n)])
        if shots:
            # each agent's own demonstrations, labelled by the model's zero-shot argmax (no gold)
            self.shots = int(shots)
            self.demo_labels = self.zero_shot.argmax(-1).astype(np.int64)
            m = min(self.shots, self.n)
            self.demos = [rng_for(seed, STREAM_DEMOS, a).choice(self.n, size=m, replace=False) for a in range(self.K)]
        self._check_context()

    def _check_context(self) -> None:
        """Refuse (ValueError) a longest debate prompt beyond a local model's context."""
        from simulations.lm.tasks.prompt_length import context_length

        ctx = context_length(self.prior)
        if ctx is None or not hasattr(self.prior, "query_tokens"):
            return
        q = np.array([len(x) for x in self.prior.query_tokens()[:self.n]])
        seg = q + 1 + self.prior.separator_tokens()                        # one answered copy or demonstration
        demos = max(int(seg[d].sum()) for d in self.demos)
        longest = self.prior.header_tokens() + demos + int(np.max((self.K - 1) * seg + q))
        if longest > ctx:
            raise ValueError(f"debate: the longest prompt ({self.K - 1} answered copies of an item after {self.shots} "
                             f"demonstrations) is {longest} tokens, more than the model's context of {ctx}; use fewer "
                             "agents or shots")

    def _key(self, a: int) -> int:
        return int(a) if self.shots else -1  # without demonstrations every agent reads the same prompts

    def log_probs(self, i: int, a: int, U) -> np.ndarray:
        """``(rows, k)`` nats: agent ``a`` on item ``i`` after the shown answers ``U (rows, m)``."""
        U = np.asarray(U, dtype=np.int64).reshape(len(U), -1)
        m = U.shape[1]
        if m > self.K - 1:
            raise ValueError(f"at most K - 1 = {self.K - 1} answers can be shown, got {m}")
        codes = encode_tuples(U)
        key = (int(i), self._key(a), m)
        need = [int(c) for c in np.unique(codes) if key + (int(c),) not in self._memo]
        if need:
            demos = self.demos[a] if self.shots else self.demos[0]
            shown = np.array([c * self.n + i for c in range(1, m + 1)], dtype=np.int64)
            d = np.concatenate([demos[demos != i], shown]).astype(np.int64)
            B = np.zeros((len(need), self.n * self.K), dtype=np.int64)
            B[:, demos] = self.demo_labels[demos]
            B[:, shown] = (np.asarray(need, dtype=np.int64)[:, None] >> np.arange(m - 1, -1, -1)) & 1
            lp = self.prior.log_conditional(B, int(i), d)
            if hasattr(self.prior, "prompt_tokens"):
                self.prompt_tokens += sum(self.prior.prompt_tokens(row, int(i), d).size for row in B)
            for c, row in zip(need, lp):
                self._memo[key + (c,)] = row
        return np.stack([self._memo[key + (int(c),)] for c in codes])

    @property
    def prompts(self) -> int:
        """Distinct prompts scored so far."""
        return len(self._memo)


def draw(logp, u, tau: float) -> np.ndarray:
    """Answers by the inverse CDF: ``y = 1`` iff ``u >= softmax(logp / tau)[0]`` (``(rows,)``)."""
    return (np.asarray(u) >= tempered(np.asarray(logp), tau)[..., 0]).astype(np.int64)


def others(a: int, K: int) -> np.ndarray:
    """The agents agent ``a`` reads, in the order the template shows them (ascending)."""
    return np.array([o for o in range(K) if o != a], dtype=np.int64)


def agent_uniforms(seed: int, agents: int, rounds: int, n: int) -> np.ndarray:
    """``u[i, r, a]`` = uniform of agent ``a`` in round ``r`` on item ``i``: ``(n, rounds + 1, K)``
    from ``rng_for(seed, STREAM_ANSWERS, a, r)``, so round ``r`` does not depend on ``rounds``."""
    return np.stack([[rng_for(seed, STREAM_ANSWERS, a, r).random(n) for a in range(agents)]
                     for r in range(rounds + 1)]).transpose(2, 0, 1)


def zero_shot_answers(cond: AgentConditionals, items, u0, tau: float) -> np.ndarray:
    """Round 0: ``(rows, K)`` answers, agent ``a`` of row ``r`` drawn with ``u0[r, a]``."""
    items = np.asarray(items, dtype=np.int64)
    uniq, inv = np.unique(items, return_inverse=True)
    out = np.empty((items.size, cond.K), dtype=np.int64)
    empty = np.zeros((1, 0), dtype=np.int64)
    for a in range(cond.K):
        lp = np.stack([cond.log_probs(int(i), a, empty)[0] for i in uniq])
        out[:, a] = draw(lp[inv.reshape(-1)], u0[:, a], tau)
    return out


def play_rounds(cond: AgentConditionals, items, start, u, tau: float, schedule: str = "sequential",
                stop_at_consensus: bool = True, history: list | None = None) -> tuple:
    """Rounds ``1..R`` from ``start (rows, K)`` with uniforms ``u (rows, R, K)``:
    ``(final (rows, K), rounds_to_consensus (rows,))``, the latter ``-1`` where no consensus was
    reached (``0``: the start is one). A row that reached consensus stops when
    ``stop_at_consensus``; otherwise every row plays all ``R`` rounds (a Markov chain). Given a
    list ``history``, the answers after every round ``1..R`` are appended to it (a row that
    stopped keeps its consensus), ``R`` entries even when every row stopped early."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    items = np.asarray(items, dtype=np.int64)
    state = np.array(start, dtype=np.int64, copy=True)
    def agree(s):
        return np.all(s == s[:, :1], axis=1)
    reached = np.where(agree(state), 0, -1)
    for r in range(u.shape[1]):
        live = (reached < 0) if stop_at_consensus else np.ones(items.size, dtype=bool)
        if not live.any():
            if history is not None:
                history.extend(state.copy() for _ in range(u.shape[1] - r))
            break
        read = state if schedule == "sequential" else state.copy()  # simultaneous: all read the last round
        # items do not interact, so any order that keeps the agents' order within an item is the
        # same round; the one chosen keeps shared prefixes adjacent for the scorer's stored
        # key/values: item by item without demonstrations (an item's prompts share its query),
        # agent by agent with them (an agent's prompts share its demonstrations)
        uniq = np.unique(items[live])
        pairs = [(i, a) for a in range(cond.K) for i in uniq] if cond.shots else \
            [(i, a) for i in uniq for a in range(cond.K)]
        for i, a in pairs:
            rows = np.flatnonzero(live & (items == i))
            lp = cond.log_probs(int(i), a, read[rows][:, others(a, cond.K)])
            state[rows, a] = draw(lp, u[rows, r, a], tau)
        reached[(reached < 0) & agree(state)] = r + 1
        if history is not None:
            history.append(state.copy())
    return state, reached


def majority(answers, tie_logp) -> tuple:
    """``(labels, ties)``: the majority answer per row; a tie goes to the label with the larger
    ``tie_logp`` (``(rows, 2)``, nats), then to label 0."""
    answers = np.asarray(answers)
    ones = answers.sum(axis=1)
    zeros = answers.shape[1] - ones
    tie = ones == zeros
    labels = (ones > zeros).astype(np.int64)
    labels[tie] = (tie_logp[tie, 1] > tie_logp[tie, 0]).astype(np.int64)
    return labels, tie


def majority_accuracy(answers, tie_logp, gold) -> float | None:
    """Accuracy against ``gold`` (entries ``< 0`` unknown, skipped) of the majority of ``answers``
    ``(rows, votes)`` with :func:`majority`'s tie rule; ``None`` when no gold is known."""
    gold = np.asarray(gold)
    known = gold >= 0
    if not known.any():
        return None
    labels, _ = majority(answers, tie_logp)
    return float(np.mean(labels[known] == gold[known]))


def independent_majority_accuracy(zero_shot_logp, round0, tie_logp, gold, rounds: int, tau: float,
                                  seed: int) -> list:
    """The no-interaction baseline at matched samples: entry ``r`` (``0..rounds``) is the accuracy
    of the majority of ``K (r + 1)`` independent zero-shot answers per item, the debate's own
    round 0 (``round0``, ``(n, K)``) plus ``K`` fresh draws per later round from each agent's
    zero-shot law (``zero_shot_logp``, ``(n, K, 2)`` nats, tempered at ``tau``; uniforms
    ``rng_for(seed, STREAM_INDEPENDENT, a, r)``). No model call: the laws are round 0's."""
    zlp = np.asarray(zero_shot_logp)
    n, K = zlp.shape[:2]
    votes = [np.asarray(round0)]
    out = [majority_accuracy(votes[0], tie_logp, gold)]
    for r in range(1, rounds + 1):
        fresh = np.stack([draw(zlp[:, a], rng_for(seed, STREAM_INDEPENDENT, a, r).random(n), tau)
                          for a in range(K)], axis=1)
        votes.append(fresh)
        out.append(majority_accuracy(np.concatenate(votes, axis=1), tie_logp, gold))
    return out


def vote_log_odds(answers, tie_logp) -> np.ndarray:
    """``log((c_1 + 1/2) / (c_0 + 1/2))`` per row (nats; the vote fraction's log-odds with a half
    count added to each label so a consensus stays finite) plus ``1e-3 tanh`` of the tie rule's
    log-odds: smaller than any step between vote counts, so it only orders equal counts."""
    answers = np.asarray(answers)
    ones = answers.sum(axis=1)
    zeros = answers.shape[1] - ones
    return np.log((ones + 0.5) / (zeros + 0.5)) + 1e-3 * np.tanh(tie_logp[:, 1] - tie_logp[:, 0])


def _decide(task, constraint: str, answers, tie_logp) -> dict:
    from simulations.lm.searches.chunked import project

    gold = task.gold
    known = gold >= 0
    labels, ties = majority(answers, tie_logp)
    odds = vote_log_odds(answers, tie_logp)
    decided = project(odds, constraint, task.relation_groups(constraint))
    def acc(b):
        return float(np.mean(b[known] == gold[known])) if known.any() else None
    return {"labels": labels, "ties": ties.tolist(), "vote_fraction": (np.asarray(answers).mean(axis=1)).tolist(),
            "vote_log_odds": odds.tolist(), "labels_under_constraint": decided.tolist(),
            "accuracy": acc(labels), "accuracy_under_constraint": acc(decided)}


def run_debate(model, task, config: DebateConfig = DebateConfig(), *, seed: int = 0, constraint: str = "none",
               self_consistency: bool = False) -> dict:
    """Debate (or, with ``self_consistency``, round 0 alone) on every item of ``task``.

    Returns ``labels (n,)`` and the record: per item the final answers, rounds to consensus
    (``None`` where not reached), ties, vote fractions; per run accuracy, accuracy under
    ``constraint``, ``forward_tokens`` (positions the model processed for the debate prompts),
    ``prompt_tokens`` (the same prompts with no shared prefix; local models), and seconds."""
    t0 = time.perf_counter()
    cfg = config
    cond = AgentConditionals(model, task.queries(), task.label_words, cfg.agents, cfg.shots, seed)
    items = np.arange(task.n)
    u = agent_uniforms(seed, cfg.agents, 0 if self_consistency else cfg.rounds, task.n)
    round0 = zero_shot_answers(cond, items, u[:, 0], cfg.tau)
    zlp = np.array([[cond.log_probs(i, a, np.zeros((1, 0), np.int64))[0] for a in range(cfg.agents)]
                    for i in items])  # (n, K, 2): each agent's zero-shot log-probs, nats
    tie_logp = zlp.mean(axis=1)
    history = [round0]
    if self_consistency:
        final, reached = round0, np.where(np.all(round0 == round0[:, :1], axis=1), 0, -1)
    else:
        final, reached = play_rounds(cond, items, round0, u[:, 1:], cfg.tau, cfg.schedule, history=history)
    dec = _decide(task, constraint, final, tie_logp)
    by_round = [majority_accuracy(h, tie_logp, task.gold) for h in history]
    independent = independent_majority_accuracy(zlp, round0, tie_logp, task.gold, len(history) - 1, cfg.tau, seed)
    rec = {"method": "self-consistency" if self_consistency else "debate", "agents": cfg.agents,
           "rounds": 0 if self_consistency else cfg.rounds, "tau": cfg.tau, "shots": cfg.shots,
           "schedule": cfg.schedule, "template": TEMPLATE, "constraint": constraint,
           "answers": final.tolist(), "round0_answers": round0.tolist(),
           "rounds_to_consensus": [None if r < 0 else int(r) for r in reached],
           "consensus": (reached >= 0).tolist(), "consensus_rate": float(np.mean(reached >= 0)),
           "mean_rounds_to_consensus": float(reached[reached >= 0].mean()) if np.any(reached >= 0) else None,
           "accuracy_by_round": by_round, "independent_majority_by_round": independent,
           **{k: v for k, v in dec.items() if k != "labels"},
           "agent_demos": [d.tolist() for d in cond.demos] if cfg.shots else None,
           "prompts": cond.prompts, "forward_tokens": int(cond.prior.forward_tokens),
           "forward_calls": int(cond.prior.forward_calls),
           "prompt_tokens": int(cond.prompt_tokens) if hasattr(cond.prior, "prompt_tokens") else None,
           "seconds": time.perf_counter() - t0}
    return {"labels": dec["labels"], "record": rec}
