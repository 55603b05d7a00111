"""`coherence check`: the JSON contract, exit codes, --only selection, and that checks can fail."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from proofs_check import registry
from proofs_check.catalogue import all_checks
from proofs_check.registry import CLAIMS, Outcome, run_check, select
from proofs_check.verdicts import VERDICTS
from proofs_check.runner import format_markdown

FIELDS = {"id": str, "claim": str, "statement": str, "expected": str, "verdict": str, "conditions": str,
          "seconds": (int, float)}
CHEAP = ["I.chain-rule", "I.loo-ratio", "C2.lambda-eta-map", "C5.R2", "C5.R12"]


def _run(*args):
    p = subprocess.run([sys.executable, "-m", "coherence.cli", "check", *args], capture_output=True, text=True,
                       timeout=300)
    return p.returncode, p.stdout, p.stderr


def _check_record(r):
    for k, t in FIELDS.items():
        assert isinstance(r[k], t), (k, r[k])
    for k in ("measured", "tolerance", "counterexample"):
        assert k in r
    assert r["tolerance"] is None or isinstance(r["tolerance"], (int, float))
    assert r["counterexample"] is None or isinstance(r["counterexample"], dict)
    assert r["claim"] in CLAIMS and r["id"].startswith(r["claim"] + ".")
    assert r["expected"] in VERDICTS and r["verdict"] in VERDICTS + ("error",)
    if r["claim"] == "C5" and re.match(r"C5\.R\d", r["id"]):
        assert re.match(r"C5\.R(1[0-3]|[1-9])\.", r["id"])


def test_json_follows_contract_and_exit_0():
    code, out, err = _run("--quick", "--only", *CHEAP, "--json")
    assert code == 0, err
    records = json.loads(out)                      # stdout is exactly one JSON document
    assert isinstance(records, list) and len(records) >= len(CHEAP)
    for r in records:
        _check_record(r)
        assert r["verdict"] == r["expected"]
    assert "checks in" in err                      # progress went to stderr


def test_coherence_cli_dispatches_check(capsys):
    from coherence.cli import main

    code = main(["check", "--quick", "--only", "I.loo-ratio", "--json"])
    out = capsys.readouterr().out
    assert code == 0
    assert [r["id"] for r in json.loads(out)] == ["I.loo-ratio"]


def test_only_prefix_selection_and_bad_usage():
    checks = all_checks()
    r1 = [c.id for c in select(checks, ["C5.R1"])]
    assert r1 == ["C5.R1.denoising"]               # not R10..R13
    assert {c.id for c in select(checks, ["C5"])} >= {"C5.R13.many-labels", "C5.R9.pl-prefers-negation"}
    assert [c.id for c in select(checks, ["I.chain"])] == ["I.chain-rule"]
    with pytest.raises(ValueError, match="matches no check"):
        select(checks, ["C9.nothing"])
    code, out, err = _run("--only", "C9.nothing")
    assert code == 2 and out == ""
    code, _, _ = _run("--bogus-flag")
    assert code == 2


def test_every_claim_and_regime_has_a_check():
    ids = [c.id for c in all_checks()]
    for claim in CLAIMS:
        assert any(i.startswith(claim + ".") for i in ids), claim
    for r in range(1, 14):
        assert any(i.startswith(f"C5.R{r}.") for i in ids), r
    assert len(ids) == len(set(ids))
    # each check lives in the module named after its claim
    for c in all_checks():
        expect = {"I": "identities", "C1": "c1_special_cases", "C2": "c2_description_length",
                  "C3": "c3_optimality", "C4": "c4_persona_collapse", "C5": "c5_regimes",
                  **{f"P{j}": "p_real_models" for j in range(1, 9)}}[c.claim]
        assert c.module == f"proofs_check.{expect}" or c.module.startswith(f"proofs_check.{expect}.")


@pytest.fixture
def scratch_registry(monkeypatch):
    """A scratch check module appended to the catalogue; returns a function adding a check to it."""
    import types

    from proofs_check import catalogue

    mod = types.ModuleType("proofs_check.zz_scratch")
    monkeypatch.setattr(catalogue, "MODULES", (*catalogue.MODULES, mod))

    def add(func):
        func.__module__ = mod.__name__
        setattr(mod, func.__name__, func)
        return func.CHECK

    return add


def _by_id(i):
    return next(c for c in all_checks() if c.id == i)


def test_a_check_is_collected_once_and_a_duplicate_id_is_refused(scratch_registry):
    @registry.check("I.chain-rule", "a second check with an existing id")
    def again(quick):
        return Outcome("holds", {})

    scratch_registry(again)
    with pytest.raises(ValueError, match="duplicate check id 'I.chain-rule'"):
        all_checks()


def test_raising_check_is_error_and_exit_1(scratch_registry, capsys):
    @registry.check("I.zz-raises", "a check that raises")
    def boom(quick):
        raise RuntimeError("deliberate")

    rec = run_check(scratch_registry(boom), True)
    assert rec["verdict"] == "error" and "deliberate" in rec["measured"]["error"]
    from coherence import check

    args = type("A", (), {"quick": True, "only": ["I.zz-raises"], "json": True, "markdown": False, "list": False,
                          "cache_dir": None, "use_cache": True})()
    assert check.run(args) == 1
    assert json.loads(capsys.readouterr().out)[0]["verdict"] == "error"


def test_unexpected_verdict_exits_1(scratch_registry, capsys):
    @registry.check("I.zz-wrong", "a check whose verdict differs from its expectation", expected="holds")
    def wrong(quick):
        return Outcome("fails", {"x": np.float64(1.0)})

    scratch_registry(wrong)

    from coherence import check

    args = type("A", (), {"quick": True, "only": ["I.zz-wrong"], "json": False, "markdown": False, "list": False,
                          "cache_dir": None, "use_cache": True})()
    assert check.run(args) == 1
    assert "unexpected: I.zz-wrong" in capsys.readouterr().out


# -- checks can fail: perturb the mathematics a check verifies -------------------------------

def test_perturbed_lambda_eta_map_is_detected(monkeypatch):
    import proofs_check.c2_description_length as c2

    monkeypatch.setattr(c2, "map_lambda", lambda eta, k=2: 1.0 / np.log(1.0 / eta))
    rec = run_check(_by_id("C2.lambda-eta-map"), True)
    assert rec["verdict"] == "fails"


def test_perturbed_asymptotic_constant_is_detected(monkeypatch):
    import proofs_check.identities as ident

    real = ident.dm_asymptotic_codelength
    # drop the -(K-1)/2 ln(2 pi) constant: the expansion is then off by O(1), not O(1/n)
    monkeypatch.setattr(ident, "dm_asymptotic_codelength",
                        lambda c, a: real(c, a) + 0.5 * (len(c) - 1) * np.log(2 * np.pi))
    assert run_check(_by_id("I.dm-asymptotics"), True)["verdict"] == "fails"


def test_perturbed_gibbs_kernel_is_detected(monkeypatch):
    import proofs_check.c1_special_cases as c1

    real = c1.gibbs_matrix
    monkeypatch.setattr(c1, "gibbs_matrix", lambda p, tau=1.0, **kw: real(p, 1.0, **kw))  # ignores the temperature
    rec = run_check(_by_id("C1.gibbs-stationary"), True)
    assert rec["verdict"] == "fails"


def test_perturbed_loo_is_detected(monkeypatch):
    from theory.concept_mixture import ConceptMixture

    real = ConceptMixture.log_loo

    def biased(self, B):
        out = real(self, B).copy()
        out[..., 0, 0] += 1e-6
        return out

    monkeypatch.setattr(ConceptMixture, "log_loo", biased)
    assert run_check(_by_id("I.loo-ratio"), True)["verdict"] == "fails"


def test_markdown_table_has_one_row_per_check():
    recs = [run_check(_by_id(i), True) for i in ("I.chain-rule", "C5.R12.leaky-constraints")]
    md = format_markdown(recs).splitlines()
    assert md[0].startswith("| check |") and len(md) == 2 + len(recs)
    assert "`coherence check --quick --only C5.R12.leaky-constraints`" in md[-1]


@pytest.mark.slow
def test_whole_quick_run_meets_every_expectation():
    code, out, err = _run("--quick", "--json")
    records = json.loads(out)
    bad = [(r["id"], r["verdict"], r["expected"]) for r in records if r["verdict"] != r["expected"]]
    assert code == 0 and not bad, bad
    for r in records:
        _check_record(r)
        if r["expected"] in ("fails", "holds-under-conditions"):  # a failure or a condition is shown
            assert r["counterexample"] is not None, r["id"]
