"""``--dtype auto`` (simulations/lm/backends/dtype_choice.py): float32 on a CPU without bf16 units, bfloat16
where the CPU advertises them and the micro-benchmark finds it faster; the decision cached per
machine and model; a forced dtype respected; and bfloat16 changes no verdict on a small model.

The CPU flags and the micro-benchmark are stand-ins here (``cpu=`` / ``benchmark=``, or
monkeypatched where the loader calls them), so the tests say the same on every machine."""
from __future__ import annotations

import json
import types

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from simulations.lm.backends import dtype_choice as dc  # noqa: E402
from simulations.lm.backends.dtype_choice import AutoRule, CpuInfo, choose_dtype  # noqa: E402

NO_UNITS = CpuInfo("Plain CPU", frozenset({"fpu", "sse2", "avx2", "fma"}))
AMX = CpuInfo("Matrix CPU", frozenset({"fpu", "avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"}))
UNKNOWN = CpuInfo("Some CPU", None)
#: nats per item: |Coh_bf16 - Coh_fp32| / n on tiny-random. Measured on this project's 2-core AMD
#: EPYC (no bf16 units, torch 2.13): at most 0.0091 over 6 task draws x 8 labellings x 3 orders;
#: the tolerance is about twice that, for bf16 kernels that round differently elsewhere
TOL_PER_ITEM = 0.02


class Bench:
    """A micro-benchmark stand-in that returns fixed seconds and counts its calls."""

    def __init__(self, f32: float, b16: float):
        self.seconds, self.calls = {"float32": f32, "bfloat16": b16}, 0

    def __call__(self, model, tokenizer, rule):
        self.calls += 1
        return dict(self.seconds)


def never(*_):
    raise AssertionError("the micro-benchmark must not run here")


def choose(cpu, bench, tmp_path, name="smollm2", **kw):
    return choose_dtype(None, None, name, cpu=cpu, benchmark=bench, cache_dir=tmp_path, quiet=True, **kw)


# -- the CPU's flags -----------------------------------------------------------------------------

def test_cpu_flags_read_from_cpuinfo_and_unknown_without_it(tmp_path):
    f = tmp_path / "cpuinfo"
    f.write_text("processor\t: 0\nmodel name\t: Test Xeon\nflags\t\t: fpu avx2 avx512_bf16 amx_bf16\n\n"
                 "processor\t: 1\nmodel name\t: Test Xeon\nflags\t\t: fpu avx2 avx512_bf16 amx_bf16\n")
    cpu = dc.cpu_info(f)
    assert cpu.model_name == "Test Xeon" and dc.bf16_units(cpu) == ("amx_bf16", "avx512_bf16")
    f.write_text("model name\t: Test EPYC\nflags\t\t: fpu avx2 fma\n")
    assert dc.bf16_units(dc.cpu_info(f)) == ()
    f.write_text("processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n")      # an Arm CPU
    assert dc.bf16_units(dc.cpu_info(f)) == ("bf16",)
    gone = dc.cpu_info(tmp_path / "no-such-file")                               # not Linux
    assert gone.flags is None and dc.bf16_units(gone) is None


# -- the rule ------------------------------------------------------------------------------------

@pytest.mark.parametrize("cpu", [NO_UNITS, UNKNOWN])
def test_auto_picks_float32_without_bf16_units_and_measures_nothing(tmp_path, cpu):
    c = choose(cpu, never, tmp_path)
    assert c.dtype == "float32" and c.seconds is None
    assert ("no bf16 units" in c.reason) if cpu is NO_UNITS else ("unknown" in c.reason)


def test_auto_picks_bfloat16_with_units_only_when_measured_faster(tmp_path):
    fast = choose(AMX, Bench(1.0, 0.45), tmp_path / "a")
    assert fast.dtype == "bfloat16" and "amx_bf16" in fast.reason and "2.22x" in fast.reason
    slow = choose(AMX, Bench(1.0, 1.6), tmp_path / "b")
    assert slow.dtype == "float32" and "below" in slow.reason
    # faster, but within the noise margin: precision is not traded for it
    marginal = choose(AMX, Bench(1.0, 0.95), tmp_path / "c")
    assert marginal.dtype == "float32" and AutoRule().min_speedup > 1 / 0.95


def test_on_cuda_auto_keeps_float32_and_caches_nothing(tmp_path):
    c = choose(AMX, never, tmp_path, device="cuda")
    assert c.dtype == "float32" and "cuda" in c.reason and c.path is None
    assert not (tmp_path / "dtype").exists()


# -- the cache -----------------------------------------------------------------------------------

def test_decision_is_cached_per_machine_and_model(tmp_path):
    bench = Bench(1.0, 0.5)
    first = choose(AMX, bench, tmp_path)
    assert bench.calls == 1 and not first.cached and first.path
    again = choose(AMX, bench, tmp_path)
    assert bench.calls == 1 and again.cached and (again.dtype, again.reason) == (first.dtype, first.reason)
    assert again.record() == first.record()          # the same bytes in every record
    choose(AMX, bench, tmp_path, name="gemma3-270m")                                 # another model
    assert bench.calls == 2
    choose(CpuInfo("Matrix CPU", AMX.flags | {"avx512_fp16"}), bench, tmp_path)        # other flags
    assert bench.calls == 3
    choose(CpuInfo("Other CPU", AMX.flags), bench, tmp_path)                          # other model name
    assert bench.calls == 4
    choose(AMX, bench, tmp_path, name=str(tmp_path / "my-model"), named=False)        # a local folder
    assert bench.calls == 5
    assert len(list((tmp_path / "dtype").glob("*.json"))) == 5
    choose(AMX, bench, tmp_path, use_cache=False)                                     # asked afresh
    assert bench.calls == 6


def test_an_edited_decision_is_measured_again_with_one_warning(tmp_path, capsys):
    bench = Bench(1.0, 0.5)
    path = choose(AMX, bench, tmp_path).path
    entry = json.loads(open(path).read())
    entry["dtype"] = "float32"                                   # hand-edited: the checksum fails
    open(path, "w").write(json.dumps(entry))
    c = choose(AMX, bench, tmp_path)
    assert bench.calls == 2 and c.dtype == "bfloat16" and not c.cached
    err = capsys.readouterr().err
    assert err.count("warning: dtype decision") == 1 and "sha256" in err


def test_the_decision_is_stated_in_one_line(tmp_path, capsys):
    choose_dtype(None, None, "smollm2", cpu=NO_UNITS, benchmark=never, cache_dir=tmp_path)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("[lm] --dtype auto: float32 (") and "decided now" in err[0]
    choose_dtype(None, None, "smollm2", cpu=NO_UNITS, benchmark=never, cache_dir=tmp_path)
    assert "cached in" in capsys.readouterr().err


# -- through the loader and the CLI --------------------------------------------------------------

@pytest.fixture
def bf16_machine(monkeypatch):
    """This process sees a CPU with AMX whose micro-benchmark finds bfloat16 twice as fast."""
    bench = Bench(1.0, 0.5)
    monkeypatch.setattr(dc, "cpu_info", lambda *a: AMX)
    monkeypatch.setattr(dc, "micro_benchmark", bench)
    return bench


def _param_dtypes(lm) -> set:
    return {str(p.dtype).replace("torch.", "") for p in lm.model.parameters()}


def test_load_auto_runs_the_chosen_dtype_and_says_why(bf16_machine, tmp_path):
    from simulations.lm.backends.loader import load

    lm = load("tiny-random", device="cpu", dtype="auto", cache_dir=tmp_path)
    assert lm.dtype == "bfloat16" and _param_dtypes(lm) == {"bfloat16"} and bf16_machine.calls == 1
    assert lm.info["dtype_choice"]["requested"] == "auto" and "amx_bf16" in lm.info["dtype_choice"]["reason"]
    load("tiny-random", device="cpu", dtype="auto", cache_dir=tmp_path)
    assert bf16_machine.calls == 1                                           # read back, not measured


def test_load_auto_without_units_stays_float32(monkeypatch, tmp_path):
    from simulations.lm.backends.loader import load

    monkeypatch.setattr(dc, "cpu_info", lambda *a: NO_UNITS)
    monkeypatch.setattr(dc, "micro_benchmark", never)
    lm = load("tiny-random", device="cpu", dtype="auto", cache_dir=tmp_path)
    assert lm.dtype == "float32" and _param_dtypes(lm) == {"float32"}


@pytest.mark.parametrize("forced", ["float32", "bfloat16"])
def test_a_forced_dtype_is_respected(bf16_machine, tmp_path, forced):
    from simulations.lm.backends.loader import load

    lm = load("tiny-random", device="cpu", dtype=forced, cache_dir=tmp_path)
    assert lm.dtype == forced and _param_dtypes(lm) == {forced}
    assert "dtype_choice" not in lm.info and bf16_machine.calls == 0 and not (tmp_path / "dtype").exists()


def test_bad_dtype_refused_naming_auto():
    from simulations.lm.backends.loader import load

    with pytest.raises(ValueError, match="auto or one of"):
        load("tiny-random", device="cpu", dtype="float8")


def test_cli_default_is_auto_and_accepts_every_loader_dtype(capsys):
    from coherence.cli import build_parser
    from simulations.lm.backends.loader import DTYPES

    parser = build_parser(["lm", "run"])
    assert parser.parse_args(["lm", "run"]).dtype == "auto"
    for dt in DTYPES:
        assert parser.parse_args(["lm", "table", "--dtype", dt]).dtype == dt
    with pytest.raises(SystemExit):
        parser.parse_args(["lm", "run", "--dtype", "float8"])
    assert "--dtype" in capsys.readouterr().err


def test_lm_run_records_the_dtype_auto_chose(bf16_machine, capsys):
    from coherence.cli import main

    args = ["lm", "run", "--model", "tiny-random", "--device", "cpu", "--threads", "1", "--task", "arithmetic",
            "-n", "4", "--method", "zero-shot", "--quiet", "--json", "--no-timing"]
    assert main(args) == 0
    out = capsys.readouterr()
    rec = json.loads(out.out)
    assert rec["dtype"] == "bfloat16" and rec["dtype_choice"]["requested"] == "auto"
    assert sum("--dtype auto: bfloat16" in ln for ln in out.err.splitlines()) == 1
    assert main([*args, "--dtype", "float32"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["dtype"] == "float32" and "dtype_choice" not in rec


# -- precision does not move the verdicts ----------------------------------------------------------

def test_float32_and_bfloat16_coh_agree_on_tiny_random():
    from simulations.lm.backends.loader import load
    from simulations.lm.backends.prior import LMPrior, PromptFormat
    from simulations.lm.tasks.registry import make_task

    models = {dt: load("tiny-random", device="cpu", dtype=dt, threads=1) for dt in ("float32", "bfloat16")}
    n = 16
    for name, seed in (("arithmetic", 0), ("arithmetic", 1), ("comparison", 0)):
        task = make_task(name, n, seed)
        rng = np.random.default_rng(seed)
        labellings = [task.gold, 1 - task.gold, np.zeros(n, int), np.ones(n, int),
                      *(rng.integers(0, 2, n) for _ in range(4))]
        orders = np.stack([rng.permutation(n) for _ in range(3)])
        coh = {}
        for dt, lm in models.items():
            prior = LMPrior(lm, task.queries(), PromptFormat(label_words=task.label_words))
            coh[dt] = np.array([prior.coherence_over_orders(b, orders) for b in labellings])
        gap = np.abs(coh["float32"] - coh["bfloat16"])
        assert gap.max() <= TOL_PER_ITEM * n, (name, seed, gap.max())
        assert gap.max() > 0                      # two precisions really ran
        # every comparison between labellings that float32 separates by more than the
        # tolerance comes out the same in bfloat16
        m32, m16 = coh["float32"].mean(1), coh["bfloat16"].mean(1)
        clear = np.abs(m32[:, None] - m32[None, :]) > 2 * TOL_PER_ITEM * n
        assert np.array_equal((m32[:, None] > m32[None, :])[clear], (m16[:, None] > m16[None, :])[clear])


# -- the benchmark row ---------------------------------------------------------------------------

def test_bench_prints_the_side_by_side_table_under_its_row(monkeypatch, capsys):
    import coherence.benchmarks.runner as bench
    from coherence.benchmarks import lm_forward
    from coherence.cli import main

    model = {"float32_seconds": 2.0, "bfloat16_seconds": 4.0, "float32_tokens_per_s": 300.0,
             "bfloat16_tokens_per_s": 150.0, "bfloat16_speedup": 0.5, "logprob_mean_abs_nats": 0.031,
             "logprob_max_abs_nats": 0.42, "argmax_agreement": 0.98, "auto_dtype": "float32",
             "auto_reason": "Plain CPU advertises no bf16 units", "threads": 1, "source": "x.gguf"}
    row = {"ours": 4.0, "baseline": 2.0, "baseline_is": "float32", "why": "no bf16 units",
           "params": {"prompt_tokens": 600, "repeat": 3, "device": "cpu", "task": "arithmetic", "cpu": "Plain CPU",
                      "bf16_flags": [], "models": {"smollm2": model}, "skipped": []}}
    fake = types.SimpleNamespace(NAME="lm-forward", WHAT=lm_forward.WHAT, EXTRA=None, REQUIRES=(),
                                 run=lambda quick: row, report=lm_forward.report)
    monkeypatch.setattr(bench, "discover", lambda: {"lm-forward": fake})
    assert main(["bench", "--only", "lm-forward"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("| smollm2 |"))
    assert "| 300 | 150 | 0.5x | 0.031 / 0.420 | 0.980 | float32 | Plain CPU advertises no bf16 units |" in line
    assert "bf16 flags: none" in out and "best of 3" in out


# -- the committed measurement and the docs --------------------------------------------------------

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def test_committed_lm_forward_row_is_whole_and_consistent():
    """figures/data/lm-forward-bench.json is one `coherence bench --json --only lm-forward` run."""
    from test_docs_contracts import check_bench_row

    (row,) = json.loads((ROOT / "figures" / "data" / "lm-forward-bench.json").read_text())
    check_bench_row(row)                                   # the fields docs/cli.md documents
    p = row["params"]
    assert row["name"] == "lm-forward" and set(p["models"]) == {"smollm2", "gemma3-270m"} and not p["skipped"]
    assert p["prompt_tokens"] == 600 and p["repeat"] == 3
    assert row["ours"] == pytest.approx(sum(m["bfloat16_seconds"] for m in p["models"].values()))
    for m in p["models"].values():
        assert m["float32_tokens_per_s"] == pytest.approx(600 / m["float32_seconds"])
        assert m["bfloat16_speedup"] == pytest.approx(m["float32_seconds"] / m["bfloat16_seconds"])
        assert 0 < m["logprob_mean_abs_nats"] <= m["logprob_max_abs_nats"]
        # the two precisions rank the next token alike almost everywhere
        assert m["logprob_mean_abs_nats"] < 0.1 and m["argmax_agreement"] >= 0.95
        if p["bf16_flags"] is not None and not p["bf16_flags"]:
            assert m["auto_dtype"] == "float32"        # no units: auto never picks bfloat16


def test_docs_state_the_rule_auto_follows():
    doc = (ROOT / "docs" / "lm.md").read_text()
    rule = AutoRule()
    assert "## Precision" in doc and f"at least {rule.min_speedup:g} times" in doc
    assert f"{rule.prompt_tokens}-token prompt" in doc and f"best of {rule.repeat}" in doc
    assert all(f"`{f}`" in doc for f in dc.BF16_FLAGS)
    assert f"{TOL_PER_ITEM:g} nats per item" in doc


def test_the_real_micro_benchmark_times_both_dtypes_and_leaves_the_model_alone():
    from simulations.lm.backends.loader import load

    lm = load("tiny-random", device="cpu", dtype="float32", threads=1)
    seconds = dc.micro_benchmark(lm.model, lm.tokenizer, AutoRule(repeat=2, prompt_tokens=48))
    assert set(seconds) == {"float32", "bfloat16"} and all(s > 0 for s in seconds.values())
    assert _param_dtypes(lm) == {"float32"}            # the bfloat16 copy was a copy
    assert len(dc.prompt_ids(lm.tokenizer, 48)) == 48
