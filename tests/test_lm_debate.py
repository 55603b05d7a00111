"""Debate on real models (simulations.lm.searches.debate, simulations.lm.searches.debate_exact; docs/debate.md).

Oracles: prompts written out by hand and scored by the model's uncached full forward pass; the
systematic Gibbs kernel of theory.markov on an exchangeable prior; enumerated joints
(``log_joint_all``); a closed form for the simultaneous two-agent chain; brute force over every
speaking order; Monte Carlo of the sampler against the exact kernels (chi-square and 4-sigma
binomial bounds, fixed seeds); majority votes recomputed from the same seeds.
"""
import itertools
import json

import numpy as np
import pytest
from scipy.special import log_softmax, logsumexp
from scipy.stats import chi2

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from simulations.lm.searches.debate import (AgentConditionals, DebateConfig, agent_uniforms, majority,  # noqa: E402
                                   play_rounds, run_debate, vote_log_odds, zero_shot_answers)
from simulations.lm.searches.debate_exact import (P8_TOL, CheckConfig, best_joint, coherence_along,  # noqa: E402
                                         conditional_table, debate_check, exact_laws, order_averaged_coherence,
                                         p8_verdict, round_matrix, table_of_prior)
from simulations.lm.backends.loader import load  # noqa: E402
from simulations.lm.backends.prior import LMPrior, PromptFormat  # noqa: E402
from simulations.lm.tasks.registry import make_task  # noqa: E402
from simulations.search.debate import debate_prior  # noqa: E402
from theory.enumeration import all_behaviours, encode  # noqa: E402
from theory.markov import stationary, transition_matrix  # noqa: E402
from theory.statistics import rng_for  # noqa: E402

TOL = 2e-5  # nats: cached float32 passes against the uncached reference


@pytest.fixture(scope="module")
def lm():
    return load("tiny-random", device="cpu", seed=3, threads=1)


@pytest.fixture(scope="module")
def task():
    return make_task("arithmetic", 6, 0)


@pytest.fixture(scope="module")
def cond(lm, task):
    return AgentConditionals(lm, task.queries(), task.label_words, 3)


# -- the template --------------------------------------------------------------------------
def test_conditional_is_the_hand_written_prompt(lm, task, cond):
    """Agent a's prompt: the others' answers as answered copies of the item, in agent order."""
    enc = lm.tokenizer.encode
    q = [np.asarray(enc(x)) for x in task.queries()]
    lab = [enc(" " + w)[0] for w in task.label_words]
    sep = np.asarray(enc("\n\n"))
    ref = LMPrior(lm, task.queries())  # its scorer's explicit path: one uncached full pass
    for i, shown in [(0, ()), (1, (1,)), (2, (0, 1)), (3, (1, 1))]:
        ids = np.concatenate([np.concatenate([q[i], [lab[y]], sep]) for y in shown] + [q[i]])
        got = cond.log_probs(i, 1, np.array([shown], dtype=np.int64).reshape(1, len(shown)))[0]
        assert np.max(np.abs(got - ref.scorer.explicit_label_logp(ids))) < TOL


def test_agent_demonstrations_precede_the_shown_answers(lm, task):
    """With shots > 0 each agent's prompt starts with its own demos, labelled by zero-shot argmax."""
    c = AgentConditionals(lm, task.queries(), task.label_words, 3, shots=2, seed=5)
    enc = lm.tokenizer.encode
    q = [np.asarray(enc(x)) for x in task.queries()]
    lab = [enc(" " + w)[0] for w in task.label_words]
    sep = np.asarray(enc("\n\n"))
    ref = LMPrior(lm, task.queries())
    zs = ref.log_zero_shot().argmax(-1)                      # another code path for the demo labels
    assert [d.tolist() for d in c.demos] == [rng_for(5, 2, a).choice(6, 2, replace=False).tolist() for a in range(3)]
    assert len({tuple(d) for d in c.demos}) > 1                # the agents differ
    for a in range(3):
        i = int(next(j for j in range(6) if j not in c.demos[a]))
        ids = np.concatenate([np.concatenate([q[j], [lab[zs[j]]], sep]) for j in c.demos[a]]
                             + [np.concatenate([q[i], [lab[0]], sep]), q[i]])
        got = c.log_probs(i, a, np.array([[0]]))[0]
        assert np.max(np.abs(got - ref.scorer.explicit_label_logp(ids))) < TOL


def test_a_served_model_reads_the_same_template(tmp_path):
    """Through an OpenAI-compatible server (the stdlib stub's closed-form toy model)."""
    from served_stub import StubServer, StubState, toy_next_logprobs
    from simulations.lm.backends.where import open_model

    words, labels = ["happy", "grim"], (" negative", " positive")
    with StubServer(StubState()) as url:
        model = open_model(f"openai:{url}", cache_dir=tmp_path / "cache", backoff=0.01)
        c = AgentConditionals(model, [f"Word: {w}\nSentiment:" for w in words], ("negative", "positive"), 3)
        for i, shown in [(0, ()), (1, (1, 0)), (0, (0, 0))]:
            query = f"Word: {words[i]}\nSentiment:"
            text = "".join(f"{query}{labels[y]}\n\n" for y in shown) + query
            d = toy_next_logprobs(text, labels)
            want = np.array([d[labels[0]], d[labels[1]]])
            got = c.log_probs(i, 2, np.array([shown], dtype=np.int64).reshape(1, len(shown)))[0]
            assert np.max(np.abs(got - (want - logsumexp(want)))) < 1e-9


# -- the exact round kernel against the sampler ------------------------------------------
@pytest.mark.parametrize("schedule", ["sequential", "simultaneous"])
def test_round_matrix_equals_monte_carlo_of_one_round(cond, schedule):
    tau, N, K = 0.2, 4000, 3                                 # tau < 1 sharpens the tiny model's conditionals
    tab = conditional_table(cond, 0)
    T = round_matrix(tab, tau, schedule)
    other = round_matrix(tab, tau, "simultaneous" if schedule == "sequential" else "sequential")
    assert np.allclose(T.sum(axis=1), 1.0, atol=1e-12)
    B = all_behaviours(K, 2).astype(np.int64)
    start = np.repeat(B, N, axis=0)
    fin, _ = play_rounds(cond, np.zeros(len(start), np.int64), start,
                         np.random.default_rng(0).random((len(start), 1, K)), tau, schedule, stop_at_consensus=False)
    freq = np.stack([np.bincount(encode(fin[r * N:(r + 1) * N]), minlength=2 ** K) for r in range(2 ** K)]) / N
    assert np.all(np.abs(freq - T) <= 4 * np.sqrt(T * (1 - T) / N) + 1e-12)
    def X(M):
        return float((N * (freq - M) ** 2 / M).sum())
    dof = 2 ** K * (2 ** K - 1)
    assert chi2.sf(X(T), dof) > 1e-3
    assert chi2.sf(X(other), dof) < 1e-6                     # the test can tell the two schedules apart


def test_stationary_law_matches_long_debates(cond):
    tau, D, R, K = 0.2, 4000, 30, 3
    tab = conditional_table(cond, 1)
    ex = exact_laws(tab, tau, "sequential")
    pi = ex["stationary"]
    assert np.allclose(pi @ ex["T"], pi, atol=1e-12)
    # after R rounds the chain has mixed (exactly): the long runs should follow pi
    assert 0.5 * np.abs(ex["pi0"] @ np.linalg.matrix_power(ex["T"], R) - pi).sum() < 1e-6
    rng = np.random.default_rng(1)
    items = np.full(D, 1)
    start = zero_shot_answers(cond, items, rng.random((D, K)), tau)
    fin, _ = play_rounds(cond, items, start, rng.random((D, R, K)), tau, "sequential", stop_at_consensus=False)
    counts = np.bincount(encode(fin), minlength=2 ** K)
    X = float(((counts - D * pi) ** 2 / (D * pi)).sum())
    assert chi2.sf(X, 2 ** K - 1) > 1e-3


# -- the reduction on exact priors -------------------------------------------------------
@pytest.mark.parametrize("K, tau", [(3, 1.0), (4, 0.5), (6, 1.0), (6, 2.0)])
def test_stationary_equals_coherence_softmax_on_a_joint_prior(K, tau):
    prior = debate_prior([0.55, 0.45], [0.25, 0.1], K)       # conditionals from one exchangeable joint
    lj = prior.log_joint_all()                                # enumeration: the oracle
    tab = table_of_prior(prior)
    ex = exact_laws(tab, tau, "sequential")
    q = np.exp(lj / tau - logsumexp(lj / tau))
    assert np.max(np.abs(ex["T"] - transition_matrix(prior, tau, "systematic"))) < 1e-12
    assert np.max(np.abs(ex["stationary"] - q)) < 1e-10
    assert np.max(np.abs(np.exp(ex["log_q"]) - q)) < 1e-10
    assert np.max(np.abs(order_averaged_coherence(tab) - lj)) < 1e-10
    assert ex["incompatibility_max"] < 1e-10 and abs(ex["kl_coherence"]) < 1e-10
    E = best_joint(tab)["energy"]
    assert np.max(np.abs((E - E.mean()) - (lj - lj.mean()))) < 1e-10


def test_simultaneous_rounds_do_not_target_the_joint():
    """Two agents that copy each other with probability a: a Gibbs sweep puts mass a on agreement
    (the joint); simultaneous rounds put 1/2 there whatever a (closed form)."""
    for a in (0.6, 0.9):
        tab = np.log(np.array([[[0.5, 0.5], [a, 1 - a], [1 - a, a]]] * 2))
        agree = [0, 3]
        assert abs(exact_laws(tab, 1.0, "sequential")["stationary"][agree].sum() - a) < 1e-12
        assert abs(stationary(round_matrix(tab, 1.0, "simultaneous"))[agree].sum() - 0.5) < 1e-12


def test_order_averaged_coherence_is_the_mean_over_every_order():
    rng = np.random.default_rng(2)
    for K in (3, 4):
        tab = log_softmax(2 * rng.standard_normal((K, 2 ** K - 1, 2)), axis=-1)  # incompatible, agent-specific
        brute = np.mean([coherence_along(tab, s) for s in itertools.permutations(range(K))], axis=0)
        assert np.max(np.abs(order_averaged_coherence(tab) - brute)) < 1e-12
        for s in itertools.permutations(range(K)):           # chain rule along one order
            assert abs(logsumexp(coherence_along(tab, s))) < 1e-12
        assert logsumexp(order_averaged_coherence(tab)) <= 1e-12  # Jensen: Z_1 <= 1
        ex = exact_laws(tab, 1.0)
        assert ex["incompatibility_rms"] > 0.1 and ex["kl_coherence"] > 1e-3


def test_best_joint_is_exact_least_squares():
    rng = np.random.default_rng(3)
    K = 3
    tab = log_softmax(rng.standard_normal((K, 2 ** K - 1, 2)), axis=-1)
    bj = best_joint(tab)
    B = all_behaviours(K, 2).astype(np.int64)
    A, r = [], []                                             # the incidence least squares, by brute force
    for a in range(K):
        for b in B[B[:, a] == 0]:
            row = np.zeros(2 ** K)
            hi = b.copy()
            hi[a] = 1
            row[encode(hi)], row[encode(b)] = 1.0, -1.0
            shown = encode(np.delete(b, a)) + 2 ** (K - 1) - 1
            A.append(row)
            r.append(tab[a, shown, 1] - tab[a, shown, 0])
    E = np.linalg.lstsq(np.array(A), np.array(r), rcond=None)[0]
    assert np.max(np.abs((E - E.mean()) - bj["energy"])) < 1e-10
    assert abs(bj["rms"] - np.sqrt(np.mean((np.array(A) @ E - r) ** 2))) < 1e-10


# -- the method ----------------------------------------------------------------------------
def test_debate_records_are_deterministic_per_seed(lm, task):
    cfg = DebateConfig(agents=4, rounds=3)
    def strip(r):
        return {k: v for k, v in r["record"].items() if k != "seconds"}
    a, b = run_debate(lm, task, cfg, seed=7), run_debate(lm, task, cfg, seed=7)
    assert strip(a) == strip(b) and np.array_equal(a["labels"], b["labels"])
    assert strip(run_debate(lm, task, cfg, seed=8))["round0_answers"] != strip(a)["round0_answers"]


@pytest.mark.parametrize("schedule", ["sequential", "simultaneous"])
def test_consensus_stops_the_debate(lm, task, schedule):
    cfg = DebateConfig(agents=4, rounds=6, tau=3.0, schedule=schedule)  # a high tau keeps some debates open
    rec = run_debate(lm, task, cfg, seed=2)["record"]
    u = agent_uniforms(2, 4, 6, task.n)
    items = np.arange(task.n)
    cond = AgentConditionals(lm, task.queries(), task.label_words, 4)
    # the same draws without stopping: the state after r rounds, r = 0..6
    states = [zero_shot_answers(cond, items, u[:, 0], cfg.tau)]
    for r in range(1, 7):
        states.append(play_rounds(cond, items, states[0], u[:, 1:r + 1], cfg.tau, schedule, False)[0])
    unanimous = np.array([np.all(s == s[:, :1], axis=1) for s in states])  # (7, n)
    assert np.array_equal(np.array(rec["round0_answers"]), states[0])
    for i in items:
        first = np.flatnonzero(unanimous[:, i])
        r = rec["rounds_to_consensus"][i]
        assert r == (int(first[0]) if first.size else None)
        assert rec["answers"][i] == states[6 if r is None else r][i].tolist()
    assert any(x is None for x in rec["rounds_to_consensus"]) and any(x not in (None, 0)
                                                                      for x in rec["rounds_to_consensus"])


def test_self_consistency_is_the_majority_of_independent_samples(lm, task):
    K, seed, tau = 5, 3, 1.5
    res = run_debate(lm, task, DebateConfig(agents=K, tau=tau), seed=seed, self_consistency=True)
    lp = LMPrior(lm, task.queries(), PromptFormat(label_words=task.label_words)).log_zero_shot()
    p0 = np.exp(lp[:, 0] / tau) / np.exp(lp / tau).sum(axis=1)
    by_hand = np.stack([(rng_for(seed, 1, a, 0).random(task.n) >= p0).astype(int) for a in range(K)], axis=1)
    assert np.array_equal(np.array(res["record"]["answers"]), by_hand)
    assert np.array_equal(res["labels"], (by_hand.sum(axis=1) > K / 2).astype(int))
    deb = run_debate(lm, task, DebateConfig(agents=K, tau=tau, rounds=2), seed=seed)["record"]
    assert deb["round0_answers"] == by_hand.tolist()          # the debate's round 0 is the same draws
    assert deb["forward_tokens"] < deb["prompt_tokens"]       # the prompts share cached prefixes


def test_accuracy_by_round_and_the_matched_sample_baseline(lm, task):
    """The per-round curves recomputed from the same seeds: the debate's state after each round
    (played without stopping, then frozen where consensus came) and the majority of K (r + 1)
    independent zero-shot draws (the baseline's uniforms drawn by hand from stream 5)."""
    K, seed, tau, R = 3, 4, 2.0, 4
    rec = run_debate(lm, task, DebateConfig(agents=K, tau=tau, rounds=R), seed=seed)["record"]
    gold = task.gold
    cond = AgentConditionals(lm, task.queries(), task.label_words, K)
    items = np.arange(task.n)
    u = agent_uniforms(seed, K, R, task.n)
    lp = LMPrior(lm, task.queries(), PromptFormat(label_words=task.label_words)).log_zero_shot()
    states = [zero_shot_answers(cond, items, u[:, 0], tau)]
    for r in range(1, R + 1):
        states.append(play_rounds(cond, items, states[0], u[:, 1:r + 1], tau, "sequential", False)[0])
    frozen = []
    for r in range(R + 1):
        st = states[r].copy()
        for i in items:
            c = rec["rounds_to_consensus"][i]
            if c is not None and c < r:
                st[i] = states[c][i]
        frozen.append(st)

    def acc(votes):
        ones = votes.sum(axis=1)
        lab = np.where(2 * ones == votes.shape[1], (lp[:, 1] > lp[:, 0]).astype(int), (2 * ones > votes.shape[1]))
        return float(np.mean(lab == gold))
    assert rec["accuracy_by_round"] == pytest.approx([acc(s) for s in frozen])
    assert rec["accuracy_by_round"][-1] == rec["accuracy"]
    p0 = np.exp(lp[:, 0] / tau) / np.exp(lp / tau).sum(axis=1)
    votes = [states[0]]
    want = [acc(states[0])]
    for r in range(1, R + 1):
        votes.append(np.stack([(rng_for(seed, 5, a, r).random(task.n) >= p0).astype(int) for a in range(K)], axis=1))
        want.append(acc(np.concatenate(votes, axis=1)))
    assert rec["independent_majority_by_round"] == pytest.approx(want)
    sc = run_debate(lm, task, DebateConfig(agents=K, tau=tau), seed=seed, self_consistency=True)["record"]
    assert sc["accuracy_by_round"] == [sc["accuracy"]] == [want[0]]


def test_ties_and_vote_log_odds():
    answers = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0]])
    tie_logp = np.log(np.array([[0.3, 0.7], [0.8, 0.2], [0.9, 0.1], [0.1, 0.9]]))
    labels, ties = majority(answers, tie_logp)
    assert labels.tolist() == [1, 0, 1, 0] and ties.tolist() == [True, True, False, False]
    z = vote_log_odds(answers, tie_logp)
    assert np.allclose(z, np.log([2.5 / 2.5, 2.5 / 2.5, 3.5 / 1.5, 0.5 / 4.5]), atol=1e-3)
    assert z[0] > 0 > z[1] and np.all(np.sign(z) == 2 * labels - 1)  # the projection keeps the tie rule


def test_documented_defaults_and_prompt_counts(lm, task):
    """docs/debate.md states these numbers."""
    assert DebateConfig() == DebateConfig(agents=3, rounds=5, tau=1.0, shots=0, schedule="sequential")
    assert P8_TOL == 0.05 and CheckConfig().alpha == 0.01
    DebateConfig(agents=2), DebateConfig(agents=10)
    for shots, K in ((0, 3), (0, 4), (2, 3)):
        c = AgentConditionals(lm, task.queries(), task.label_words, K, shots=shots)
        before = c.prompts
        conditional_table(c, 2)
        # 2^K - 1 prompts per item, K (2^K - 1) with demonstrations; without them the empty tuple
        # (the zero-shot prompt) was already scored when the agents were built
        assert c.prompts - before == (K * (2 ** K - 1) if shots else 2 ** K - 2)


def test_a_prompt_beyond_the_context_is_refused(lm, task):
    enc = lm.tokenizer.encode
    longest = max(3 * (len(enc(q)) + 1 + len(enc("\n\n"))) + len(enc(q)) for q in task.queries())  # K = 4
    old = lm.model.config.max_position_embeddings
    try:
        lm.model.config.max_position_embeddings = longest
        AgentConditionals(lm, task.queries(), task.label_words, 4)
        lm.model.config.max_position_embeddings = longest - 1
        with pytest.raises(ValueError, match="context"):
            AgentConditionals(lm, task.queries(), task.label_words, 4)
    finally:
        lm.model.config.max_position_embeddings = old


def test_configuration_is_checked():
    for bad in ({"agents": 1}, {"agents": 11}, {"rounds": -1}, {"tau": -1.0}, {"schedule": "random"}):
        with pytest.raises(ValueError):
            DebateConfig(**bad)
    with pytest.raises(ValueError):
        CheckConfig(tau=0.0)


# -- the check and P8 ----------------------------------------------------------------------
def test_debate_check_records_on_the_tiny_model(lm, task):
    res = debate_check(lm, task, CheckConfig(agents=3, debates=500, rounds=10, null_reps=200), seed=0, items=[0, 1])
    assert [r["item"] for r in res["records"]] == [0, 1] and res["forward_tokens"] > 0
    for r in res["records"]:
        assert abs(sum(r["stationary"]) - 1) < 1e-12 and 0 <= r["p_value"] <= 1
        assert r["null_reps"] >= 2 * 2 / 0.01                   # a Bonferroni threshold is resolvable
    assert res["p8"]["id"] == "P8" and res["p8"]["items"] == 2


def _rec(kl, p=0.5, schedule="sequential"):
    return {"schedule": schedule, "kl_coherence": kl, "kl_best_joint": kl / 2, "incompatibility_rms": 0.1,
            "mode_agrees": True, "p_value": p}


def test_p8_verdict_rule():
    assert p8_verdict([_rec(0.01), _rec(0.012), _rec(0.011)])["verdict"] == "holds"
    assert p8_verdict([_rec(0.2), _rec(0.22), _rec(0.21)])["verdict"] == "fails"
    assert p8_verdict([_rec(0.001), _rec(0.2)])["verdict"] == "not judged"    # the interval holds 0.05
    assert p8_verdict([_rec(0.01)])["verdict"] == "not judged"
    v = p8_verdict([_rec(0.01), _rec(0.012), _rec(0.011, p=1e-4)])           # 1e-4 < 0.01 / 3
    assert v["verdict"] == "not judged" and "exact law" in v["reason"]
    v = p8_verdict([_rec(0.01), _rec(0.012), _rec(0.011), _rec(5.0, schedule="simultaneous")])
    assert v["verdict"] == "holds" and v["items"] == 3 and v["other_schedules"]["simultaneous"]["n"] == 1
    assert p8_verdict([_rec(0.04), _rec(0.041)], tol=0.03)["verdict"] == "fails"


@pytest.mark.parametrize("argv, words", [(["--agents", "11"], "--agents must be an integer in [2, 10]"),
                                         (["--tau", "-1"], "--tau must be a finite number >= 0"),
                                         (["--steps", "-2"], "--steps must be an integer >= 0")])
def test_debate_flags_are_refused_by_name_before_the_model_loads(tmp_path, capsys, argv, words):
    from coherence.cli import main

    rc = main(["lm", "run", "--model", str(tmp_path / "no-model"), "--task", "polarity-high", "-n", "8",
               "--method", "debate", *argv])
    err = capsys.readouterr().err
    assert rc == 2 and words in err and len(err.strip().splitlines()) == 1, err


def test_debate_flags_reach_the_run(capsys):
    from coherence.cli import main

    assert main(["lm", "run", "--model", "tiny-random", "--device", "cpu", "--threads", "1", "--task", "polarity-high",
                 "-n", "8", "--method", "debate", "--agents", "4", "--tau", "0.5", "--steps", "2", "--json",
                 "--quiet"]) == 0
    import json

    rec = json.loads(capsys.readouterr().out)["debate"]
    assert rec["agents"] == 4 and rec["tau"] == 0.5 and rec["rounds"] == 2


# -- in the table, and P8 in lm predictions ----------------------------------------------------
def test_debate_cells_and_the_exact_check_in_a_table(lm, tmp_path):
    """The table's debate and self-consistency cells are the runs `run_debate` gives for the same
    task, settings and seed; the exact check is stored once per task and seed, and P8 of `lm
    predictions` is `p8_verdict` of its records (resuming recomputes nothing)."""
    from simulations.lm.results import table as T
    from simulations.lm.results.predictions import p8

    cfg = T.TableConfig(model="tiny-random", n=6, chunk=2, sweeps=1, shots=2, coh_orders=2, random_labellings=2,
                        n_dev=6, agents=3, debate_rounds=2, tau=1.5, debate_check_items=2)
    data = T.run_table(lm, cfg, ["polarity-high"], ["self-consistency", "debate"], [0], tmp_path, quiet=True)
    task = make_task("polarity-high", 6, 0)
    task = task.with_format(T.format_named(task.family, data["formats"]["polarity-high"]["chosen"]))
    for method in ("debate", "self-consistency"):
        rec = data["runs"][f"polarity-high|{method}|0"]
        ref = run_debate(lm, task, DebateConfig(agents=3, rounds=2, tau=1.5), seed=0, constraint="balance",
                         self_consistency=method == "self-consistency")
        assert rec["labels"] == ref["labels"].tolist() and rec["constraint"] == "none"
        assert rec["task_constraint"] == "balance"
        assert rec["accuracy_under_task_constraint"] == ref["record"]["accuracy_under_constraint"]
        assert rec["debate"]["answers"] == ref["record"]["answers"] and "prompts" not in rec["debate"]
        assert rec["forward_tokens"] == ref["record"]["forward_tokens"] > 0
        assert rec["search_failure"] is None and len(rec["coh"]) == 3
    check = data["debate_checks"]["polarity-high|0"]
    assert [r["item"] for r in check["records"]] == [0, 1] and "prompts" not in check
    assert p8(data)["verdict"] == p8_verdict(check["records"])["verdict"]
    assert p8(data)["kl_coherence"] == p8_verdict(check["records"])["kl_coherence"]
    again = T.run_table(lm, cfg, ["polarity-high"], ["self-consistency", "debate"], [0], tmp_path, quiet=True)
    assert again["debate_checks"] == data["debate_checks"] and again["runs"] == data["runs"]
    empty = p8({"debate_checks": {}})
    assert empty["verdict"] == "not judged" and "no exact debate check" in empty["reason"]
    # the accuracy-against-rounds figure draws the records' own curves (one seed: no averaging)
    from simulations.lm.results.figures import debate_rounds_data, produce

    d = debate_rounds_data([data])["tiny-random"]["polarity-high"]
    deb = data["runs"]["polarity-high|debate|0"]["debate"]
    assert d["debate"] == deb["accuracy_by_round"] and d["independent"] == deb["independent_majority_by_round"]
    assert len(d["debate"]) == 3 and d["seeds"] == 1
    path = T.table_path(tmp_path, cfg)
    ids = [e["id"] for e in produce([path], tmp_path / "figs")]
    assert ids == ["LM-salience", "LM-landscape", "LM-debate-rounds"]
    assert (tmp_path / "figs" / "LM-debate-rounds.png").is_file()
    # --only draws the figures named and keeps the manifest's other entries as they were
    from coherence.cli import main

    man = tmp_path / "figs" / "manifest.json"
    before = {e["id"]: e for e in json.loads(man.read_text())["figures"]}
    (tmp_path / "figs" / "LM-salience.png").unlink()
    assert main(["lm", "figures", str(path), "--out", str(tmp_path / "figs"), "--only", "LM-debate-rounds"]) == 0
    assert not (tmp_path / "figs" / "LM-salience.png").exists()
    after = {e["id"]: e for e in json.loads(man.read_text())["figures"]}
    assert after.keys() == before.keys() and after["LM-salience"] == before["LM-salience"]
    no_debate = {**data, "runs": {k: v for k, v in data["runs"].items() if v["method"] != "debate"}}
    with pytest.raises(ValueError, match="--only LM-debate-rounds"):
        produce_from = T.table_path(tmp_path / "nodebate", cfg)
        produce_from.parent.mkdir()
        produce_from.write_text(json.dumps(no_debate))
        produce([produce_from], tmp_path / "figs", only={"LM-debate-rounds"})


def test_table_debate_flags_are_refused_by_name(capsys):
    from coherence.cli import main

    for argv, word in ((["--agents", "11"], "--agents"), (["--tau", "-1"], "--tau"),
                       (["--debate-rounds", "-1"], "--debate-rounds"), (["--debate-check-items", "-2"],
                                                                         "--debate-check-items")):
        assert main(["lm", "table", "--model", "tiny-random", *argv]) == 2
        assert word in capsys.readouterr().err
