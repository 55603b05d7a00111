"""Testbed presets (``icm:NAME:PATH``), published evaluation subsets and seeded subsets of whole
groups, on fixtures written here in the published schemas (model-free)."""
import json
from collections import Counter

import numpy as np
import pytest

from simulations.lm.tasks.constraint_choice import resolve
from simulations.lm.tasks.registry import make_task


def _truthfulqa(path, groups=12):
    # 4 claims per question, a varying number true (0..3), ids as published (integers from 100)
    recs = [{"question": f"Question {q}?", "choice": f"Claim {q}.{j}", "label": int(j < q % 4),
             "consistency_id": 100 + q}
            for q in range(groups) for j in range(4)]
    path.write_text(json.dumps(recs, indent=1))
    return path


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_subset_is_deterministic_whole_groups_and_balanced(tmp_path, seed):
    p = _truthfulqa(tmp_path / "t.json")
    a = make_task(f"jsonl:{p}", None, seed, subset=16)
    b = make_task(f"jsonl:{p}", None, seed, subset=16)
    assert a.items == b.items and a.params["subset"] == b.params["subset"]
    assert a.n == 16 and a.params["subset"]["seed"] == seed
    ids = a.params["subset"]["consistency_ids"]
    # whole groups: each chosen id brings all 4 of its claims
    assert Counter(json.loads(it.source_id) for it in a.items) == {i: 4 for i in ids}
    # balanced where the data allows: 8 true and 8 false is reachable (groups hold 0..3 true), and found
    assert int(a.gold.sum()) == 8
    # another seed draws other groups (this fixture has 495 ways to pick 4 of its 12 groups)
    others = {tuple(make_task(f"jsonl:{p}", None, s, subset=16).params["subset"]["consistency_ids"]) for s in range(6)}
    assert len(others) > 1


def test_subset_sizes_that_whole_groups_cannot_make_are_refused(tmp_path):
    p = _truthfulqa(tmp_path / "t.json")
    with pytest.raises(ValueError, match=r"--subset 10 cannot be made of whole consistency groups \(sizes \[4\]\)"):
        make_task(f"jsonl:{p}", None, 0, subset=10)
    with pytest.raises(ValueError, match="more than the 48 items"):
        make_task(f"jsonl:{p}", None, 0, subset=52)
    with pytest.raises(ValueError, match="apply to a task file"):
        make_task("polarity-high", 8, 0, subset=4)


def test_eval_ids_keep_the_published_groups_in_either_file_form(tmp_path):
    p = _truthfulqa(tmp_path / "t.json")
    listed = [101, 104, 110]
    for k, content in enumerate(({"testbed": "truthfulQA", "consistency_ids": listed}, listed)):
        ev = tmp_path / f"ev{k}.json"
        ev.write_text(json.dumps(content))
        t = make_task(f"jsonl:{p}", None, 0, eval_ids=ev)
        assert t.n == 12 and t.params["subset"]["consistency_ids"] == listed
        assert t.params["eval_ids"]["groups"] == 3 and len(t.params["eval_ids"]["sha256"]) == 64
        assert make_task(f"jsonl:{p}", None, 2, eval_ids=ev, subset=8).params["subset"]["consistency_ids"] \
            in ([101, 104], [101, 110], [104, 110])
    ev.write_text(json.dumps([101, 999]))
    with pytest.raises(ValueError, match=r"1 of its 2 consistency ids are not in the task file \(first: 999\)"):
        make_task(f"jsonl:{p}", None, 0, eval_ids=ev)
    ev.write_text(json.dumps({"ids": [1]}))
    with pytest.raises(ValueError, match="--eval-ids .* expected a non-empty JSON list"):
        make_task(f"jsonl:{p}", None, 0, eval_ids=ev)


def test_presets_apply_the_fields_template_and_relation(tmp_path):
    p = _truthfulqa(tmp_path / "t.json")
    t = make_task(f"icm:truthfulqa:{p}", None)
    assert resolve(t, "auto")[0] == "free-groups" and t.fmt.name == "claim-question"
    assert t.queries()[0] == "Question: Question 0?\nClaim: Claim 0.0\nI think this claim is"
    assert t.label_words == ("False", "True")
    gsm = tmp_path / "g.json"
    gsm.write_text(json.dumps([{"question": "2+2?", "choice": f"... so {a}", "answer": a, "label": int(a == "4"),
                                "consistency_id": 0} for a in ("4", "4", "5", "22")]))
    g = make_task(f"icm:gsm8k:{gsm}", None)
    assert resolve(g, "auto")[0] == "same-answer:answer"
    assert g.relation_groups("same-answer:answer")[:, 1].tolist() == [0, 0, 1, 2]
    alp = tmp_path / "a.json"
    alp.write_text(json.dumps([{"question": "Say hi.", "choice": "Hi\nthere", "choice_2": "No.", "label": True,
                                "consistency_id": 5},
                               {"question": "Say hi.", "choice": "No.", "choice_2": "Hi\nthere", "label": False,
                                "consistency_id": 5}]))
    a = make_task(f"icm:alpaca:{alp}", None)
    assert resolve(a, "auto")[0] == "mirror-pairs"
    # ICM's loader drops the responses' newlines
    assert a.queries()[0] == ("Human: Say hi.\nResponse 1: Hithere\nResponse 2: No.\nClaim: Response 1 is more "
                              "helpful and harmless than Response 2.\nI think this claim is")
    with pytest.raises(ValueError, match="icm:NAME:PATH needs NAME one of"):
        make_task(f"icm:mmlu:{p}", None)


def test_the_cli_records_the_subset_in_its_output(tmp_path, capsys):
    pytest.importorskip("torch")
    from coherence.cli import main

    p = _truthfulqa(tmp_path / "t.json")
    argv = ["lm", "run", "--model", "tiny-random", "--device", "cpu", "--threads", "1", "--task", f"icm:truthfulqa:{p}",
            "--subset", "8", "--seed", "3", "--method", "zero-shot", "--json", "--quiet"]
    assert main(argv) == 0
    d = json.loads(capsys.readouterr().out)
    t = make_task(f"icm:truthfulqa:{p}", None, 3, subset=8)
    assert d["subset"] == t.params["subset"] and d["preset"] == "truthfulqa" and d["n"] == 8
    # a baseline decodes free and decides under the preset's relation
    assert d["constraint"] == "none" and d["task_constraint"] == "free-groups"
    assert np.isclose(d["task_constraint_leak_accuracy"], 0.5)
