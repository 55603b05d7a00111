"""``coherence lm`` is a command module like the others (docs/development.md): every default of
its options is the one of the configuration it fills, the configurations it builds from the
defaults are the library's own, and no library module sees an argparse namespace."""
from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import pytest

from coherence.cli import build_parser
from simulations.lm.backends.agreement import AgreementConfig
from simulations.lm.backends.fastpath import FastpathConfig
from simulations.lm.backends.knowledge import N_DEV
from simulations.lm.backends.where import SERVED_OPTIONS, ModelConfig
from simulations.lm.results.diagnose import DiagnoseConfig
from simulations.lm.results.single_run import RunConfig
from simulations.lm.results.table import DEFAULT_SEEDS, DEFAULT_TASKS, TableConfig
from simulations.lm.results.training_table import TrainTableConfig
from simulations.lm.results import training_table as TT
from simulations.lm.searches.chunked import ChunkConfig
from simulations.lm.searches.debate import DebateConfig
from simulations.lm.tasks.registry import TaskChoice
from simulations.transformer_training import TrainConfig

ROOT = Path(__file__).resolve().parents[1]


def parsed(*argv):
    return build_parser(["lm", *argv]).parse_args(["lm", *argv])


def same(args, config, names) -> None:
    for name in names:
        assert getattr(args, name) == getattr(config, name), name


@pytest.mark.parametrize("sub", ["run", "diagnose", "formats", "table", "train-coherence"])
def test_model_options_default_to_the_model_config(sub):
    args = parsed(sub)
    same(args, ModelConfig, [f.name for f in fields(ModelConfig)])
    assert all(getattr(args, k) is None for k in SERVED_OPTIONS)     # unset: open_served's own defaults


def test_run_and_diagnose_defaults_are_their_configs():
    from coherence import lm_options, lm_run

    run = parsed("run")
    same(run, TaskChoice, ["task", "n", "format", "template", "label_words", "subset", "eval_ids"])
    same(run, RunConfig, ["method", "seed", "shots", "loo", "steps", "chunk", "sweeps", "constraint", "coh_orders",
                          "checks", "polish_orders"])
    same(run, DebateConfig, ["agents", "tau", "schedule"])
    assert lm_run.run_config(run) == RunConfig()
    assert lm_options.task_choice(run) == TaskChoice()
    assert lm_run.run_config(parsed("run", "--method", "debate")).debate == DebateConfig()
    diag = parsed("diagnose")
    same(diag, DiagnoseConfig, ["seed", "constraint", "coh_orders", "chunk", "sweeps", "checks", "token_budget",
                                "polish_orders"])
    assert (run.chunk, run.sweeps, diag.chunk, diag.sweeps) == (ChunkConfig.chunk, ChunkConfig.sweeps) * 2
    assert parsed("formats").n == N_DEV and parsed("formats").task == TaskChoice.task


def test_table_defaults_are_its_config():
    args = parsed("table")
    same(args, TableConfig, ["model", "n", "chunk", "sweeps", "shots", "chains", "constraint", "coh_orders", "checks",
                             "agents", "tau", "debate_rounds", "debate_check_items", "polish_orders"])
    assert (args.tasks, args.seeds, args.methods) == (list(DEFAULT_TASKS), list(DEFAULT_SEEDS), None)
    args = parsed("train-coherence")
    same(args, TrainTableConfig, ["model", "n", "block", "lr", "epochs", "rank", "coh_orders", "rounds", "heldout"])
    assert (args.tasks, args.seeds) == (list(TT.DEFAULT_TASKS), list(TT.DEFAULT_SEEDS))


def test_train_and_measurement_defaults_are_their_configs():
    same(parsed("train"), TrainConfig, [f.name for f in fields(TrainConfig)])
    same(parsed("agreement"), AgreementConfig, ["out", "n", "threads"])
    same(parsed("fastpath"), FastpathConfig, ["model", "n", "threads", "out"])


@pytest.mark.parametrize("field, value", [("n", 1), ("steps", 0), ("batch", 0), ("lr", 0.0), ("layers", 25),
                                          ("hidden", 4), ("test", 1)])
def test_train_config_refuses_by_field(field, value):
    with pytest.raises(ValueError, match=f"^{field} must be"):
        TrainConfig(**{field: value})


def test_no_library_function_takes_an_argparse_namespace():
    """Library code (theory/, simulations/, proofs_check/) takes configurations or keywords: no
    parameter named ``args`` and no argparse."""
    bad = []
    for pkg in ("theory", "simulations", "proofs_check"):
        for path in (ROOT / pkg).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
                    if "args" in names:
                        bad.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}(args)")
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                    if "argparse" in mods:
                        bad.append(f"{path.relative_to(ROOT)}:{node.lineno} imports argparse")
    assert not bad, bad


def test_the_side_doors_are_subcommands():
    assert not (ROOT / "simulations" / "lm" / "cli.py").exists()
    for module in ("agreement", "fastpath"):
        text = (ROOT / "simulations" / "lm" / "backends" / f"{module}.py").read_text()
        assert "__main__" not in text and "python -m" not in text, module
