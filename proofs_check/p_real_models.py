"""P1-P8: the theory's predictions on real language models (docs/theory.md), judged on the
committed real-model files, so one claims table covers the exact and the real-model halves.

Each check reads what ``coherence lm table`` and ``coherence lm train-coherence`` wrote under
``figures/data/lm/`` of the repository: the n = 64 table files (``*-n64-*.json``: P1-P6, and P8
from their exact debate checks) and the training table files (``training/train-*.json``: P7).
It judges every file with :mod:`simulations.lm.results.predictions`, the very rules of ``coherence
lm predictions``, and combines the models: ``fails`` when a model's data refute the prediction
(that model's verdict and numbers are the counterexample), ``holds`` when every model's data
confirm it, ``not judged`` otherwise -- undecided cases, or no file at all, which the measured
record says in words. Nothing is recomputed on a model: the checks cost milliseconds.

``expected`` is the verdict the committed files gave when they were committed (docs/lm.md says
why each is what it is); a rerun that changes a verdict makes ``coherence check`` report the
difference, and the expectation is updated with the data, in the same change.
"""
from __future__ import annotations

from pathlib import Path

from simulations.lm.results.predictions import evaluate
from simulations.lm.results.training_prediction import p7
from simulations.lm.results.table_file import read_table_file
from simulations.lm.results.training_file import read_training_file

from .registry import Outcome, check
from .verdicts import combine

#: the committed real-model files, relative to the repository root
LM_DATA = Path(__file__).resolve().parents[1] / "figures" / "data" / "lm"
TABLES = "*-n64-*.json"
TRAINING = "training/train-*.json"


def judged(pid: str, files, judge) -> Outcome:
    """The outcome of prediction ``pid`` over ``files``: ``judge(path) -> (model, record)`` gives
    each file's prediction record (``verdict`` and its numbers); per-row details stay in the
    files and in ``coherence lm predictions``."""
    if not files:
        return Outcome("not judged", {"reason": f"no committed file matches {LM_DATA.name}/"
                                                f"{TRAINING if pid == 'P7' else TABLES}", "files": []})
    per_model, records = {}, {}
    for f in files:
        model, rec = judge(f)
        per_model[model] = rec["verdict"]
        records[model] = {k: v for k, v in rec.items() if k not in ("id", "rows", "orderings", "fails_when")}
    verdict = combine(per_model)
    cex = {m: records[m] for m, v in per_model.items() if v == "fails"} if verdict == "fails" else None
    return Outcome(verdict, {"files": [f.name for f in files], "models": records}, counterexample=cex)


def table_files() -> list:
    return sorted(LM_DATA.glob(TABLES))


def _table_prediction(pid: str):
    def judge(path):
        data = read_table_file(path)
        return data["config"]["model"], next(p for p in evaluate(data) if p["id"] == pid)
    return judge


def _training(path):
    data = read_training_file(path)
    return data["config"]["model"], p7(data)


@check("P1.gold-beats-negation", "on tasks the model knows (zero-shot AUC >= 0.7) gold is more coherent than its "
       "negation and than random balanced labellings, paired over the same orders; on the nonsalient control it is not "
       "special", expected="not judged",
       conditions="the committed n = 64 tables; a paired interval that holds 0 leaves a case undecided")
def p1(quick: bool) -> Outcome:
    return judged("P1", table_files(), _table_prediction("P1"))


@check("P2.constant-without-constraint", "with no constraint the most coherent labelling found is (near-)constant and "
       "more coherent than gold", expected="holds", conditions="the committed n = 64 tables")
def p2(quick: bool) -> Outcome:
    return judged("P2", table_files(), _table_prediction("P2"))


@check("P3.recovery-iff-gold-most-coherent", "a constrained search reaches gold-level accuracy (>= 0.95) exactly when "
       "gold is not below what it found", expected="fails", conditions="the committed n = 64 tables")
def p3(quick: bool) -> Outcome:
    return judged("P3", table_files(), _table_prediction("P3"))


@check("P4.accuracy-falls-with-salience", "the coherence searches' accuracy falls toward chance as the words' "
       "salience |valence| falls", expected="not judged",
       conditions="the committed n = 64 tables; per search, the fall from the most to the least salient bin over "
       "seeds with its Welch 95% interval; an interval that holds 0 leaves a case undecided")
def p4(quick: bool) -> Outcome:
    return judged("P4", table_files(), _table_prediction("P4"))


@check("P5.gibbs-chains-lock-in", "flips in a Gibbs chain's last sweep are rarer than the disagreement between "
       "chains, in at least half of the runs", expected="not judged",
       conditions="the committed n = 64 tables; the fraction of runs that lock, with its Wilson 95% interval, "
       "judged against 1/2")
def p5(quick: bool) -> Outcome:
    return judged("P5", table_files(), _table_prediction("P5"))


@check("P6.orders-agree-on-known-tasks", "on tasks the model knows every order ranks gold above its negation",
       expected="fails", conditions="the committed n = 64 tables")
def p6(quick: bool) -> Outcome:
    return judged("P6", table_files(), _table_prediction("P6"))


@check("P7.training-orders-like-in-context", "coherence through fine-tuning orders the landscape's labellings as "
       "in-context coherence does (paired intervals on both sides)", expected="fails",
       conditions="the committed training table files (figures/data/lm/training)")
def p7_check(quick: bool) -> Outcome:
    return judged("P7", sorted(LM_DATA.glob(TRAINING)), _training)


@check("P8.debate-samples-coherent-consensus", "the stationary law of a debate round is the softmax of the joint "
       "answers' coherence (mean KL within 0.05 nats)", expected="fails",
       conditions="the exact debate checks stored in the committed n = 64 tables")
def p8(quick: bool) -> Outcome:
    return judged("P8", table_files(), _table_prediction("P8"))
