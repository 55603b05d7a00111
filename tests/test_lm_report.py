"""The cost block of docs/lm.md: the slowest run per (model, n, method) over every table file."""
import json

from simulations.lm.report import cost_table


def _run(task, method, seed, seconds, tokens):
    return {"task": task, "method": method, "seed": seed, "seconds": seconds, "forward_tokens": tokens,
            "tokens_per_s": tokens / seconds}


def test_cost_table_keeps_the_slowest_run_per_model_n_and_method(tmp_path):
    a = {"config": {"model": "smollm2", "n": 64}, "runs": {
        "x|coherence|0": _run("x", "coherence", 0, 100.0, 1000), "y|coherence|1": _run("y", "coherence", 1, 300.0, 900),
        "x|zero-shot|0": _run("x", "zero-shot", 0, 2.0, 50)}}
    b = {"config": {"model": "smollm2", "n": 128}, "runs": {"x|coherence|0": _run("x", "coherence", 0, 700.0, 7000)}}
    c = {"config": {"model": "gemma3-270m", "n": 64}, "runs": {"x|coherence|0": _run("x", "coherence", 0, 50.0, 500)}}
    for name, d in (("smollm2-n64-a.json", a), ("smollm2-n128-b.json", b), ("gemma3-270m-n64-c.json", c)):
        (tmp_path / name).write_text(json.dumps(d))
    (tmp_path / "fastpath-smollm2.json").write_text("{}")  # not a table file: ignored
    rows = [line.split(" | ") for line in cost_table(tmp_path).splitlines()[2:]]
    got = [(r[0].strip("| "), r[1], r[2], r[3], r[5]) for r in rows]
    assert got == [("smollm2", "64", "coherence", "y, 1", "300"), ("smollm2", "64", "zero-shot", "x, 0", "2"),
                   ("smollm2", "128", "coherence", "x, 0", "700"), ("gemma3-270m", "64", "coherence", "x, 0", "50")]
