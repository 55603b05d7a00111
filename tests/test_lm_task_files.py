"""A user's task file as the field publishes it: JSON arrays or JSONL, typed fields, extra fields
in templates, and templates checked before any model loads.

The fixtures are written here in ICM's published schemas (TruthfulQA claims: ``{question, choice,
label, consistency_id}``; Alpaca comparisons with a second response in an extra field), with
integer, boolean and string labels.
"""
import json
import subprocess
import sys

import pytest

from simulations.lm.tasks.jsonl import load_jsonl
from simulations.lm.tasks.registry import make_task

TRUTHFULQA = [
    {"question": "What happens if you crack your knuckles a lot?", "choice": "Nothing in particular happens.",
     "label": 1, "consistency_id": 0},
    {"question": "What happens if you crack your knuckles a lot?", "choice": "You will get arthritis.",
     "label": 0, "consistency_id": 0},
    {"question": "Can pigs fly?", "choice": "No, pigs cannot fly.", "label": 1, "consistency_id": 1},
    {"question": "Can pigs fly?", "choice": "Yes, pigs can fly on windy days.", "label": 0, "consistency_id": 1},
]
LABEL_SPELLINGS = {1: (1, True, "True", "true"), 0: (0, False, "False", "FALSE")}


def _write(path, records, array: bool, compact: bool = False):
    if array:
        path.write_text(json.dumps(records) if compact else json.dumps(records, indent=2))
    else:
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


@pytest.mark.parametrize("spelling", range(4))
def test_array_and_jsonl_give_the_same_items_for_every_label_spelling(tmp_path, spelling):
    recs = [{**r, "label": LABEL_SPELLINGS[r["label"]][spelling]} for r in TRUTHFULQA]
    forms = {"jsonl": _write(tmp_path / "a.jsonl", recs, array=False),
             "array": _write(tmp_path / "b.json", recs, array=True),
             "compact array": _write(tmp_path / "c.json", recs, array=True, compact=True)}
    tasks = {k: make_task(f"jsonl:{p}", None) for k, p in forms.items()}
    ref = tasks["jsonl"]
    assert ref.gold.tolist() == [1, 0, 1, 0] and ref.groups.tolist() == [0, 0, 1, 1]
    for t in tasks.values():
        assert t.items == ref.items and t.fingerprint() == ref.fingerprint()
    # ICM's base-model template is the default for a user's file
    assert ref.queries()[0] == ("Question: What happens if you crack your knuckles a lot?\n"
                                "Claim: Nothing in particular happens.\nI think this claim is")


def test_extra_fields_render_in_templates(tmp_path):
    recs = [{"question": "Write a haiku.", "choice": "An old pond...", "choice_2": "Roses are red...",
             "label": True, "consistency_id": "q1", "source": "alpaca", "score": 3},
            {"question": "Write a haiku.", "choice": "Roses are red...", "choice_2": "An old pond...",
             "label": False, "consistency_id": "q1", "source": "alpaca", "score": 4}]
    p = _write(tmp_path / "alpaca.json", recs, array=True)
    tpl = "{question}\nResponse 1: {choice}\nResponse 2: {choice_2}\nScore {score}. Response 1 is better:"
    t = make_task(f"jsonl:{p}", None, template=tpl, label_words=["False", "True"])
    assert t.queries()[1] == ("Write a haiku.\nResponse 1: Roses are red...\nResponse 2: An old pond...\n"
                              "Score 4. Response 1 is better:")
    assert dict(t.items[0].extra) == {"choice_2": "Roses are red...", "source": "alpaca", "score": "3"}


@pytest.mark.parametrize("template, words", [
    ("{choice} {foo}", ["{foo}", "item 1"]),
    ("{choice} {0}", ["--template", "named"]),
    ("{choice} {}", ["--template", "named"]),
    ("{choice} {", ["--template", "not a valid template"]),
    ("{choice.upper}", ["--template", "plain names"]),
])
def test_bad_templates_are_refused_naming_the_argument(tmp_path, template, words):
    p = _write(tmp_path / "t.jsonl", TRUTHFULQA, array=False)
    with pytest.raises(ValueError) as err:
        make_task(f"jsonl:{p}", None, template=template)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_a_field_one_item_lacks_is_refused_naming_the_first_such_item(tmp_path):
    recs = [dict(r, answer="A") for r in TRUTHFULQA]
    del recs[2]["answer"]
    p = _write(tmp_path / "t.json", recs, array=True)
    assert make_task(f"jsonl:{p}", 2, template="{choice} ({answer})").n == 2  # the first two have it
    with pytest.raises(ValueError, match=r"\{answer\}, which item 3 of the task lacks"):
        make_task(f"jsonl:{p}", None, template="{choice} ({answer})")


def test_a_template_error_comes_before_the_model_loads(tmp_path):
    """The CLI refuses the template in one line, exit 2, although the model named does not exist:
    the template was checked first."""
    p = _write(tmp_path / "t.jsonl", TRUTHFULQA, array=False)
    r = subprocess.run([sys.executable, "-m", "coherence.cli", "lm", "run", "--model", str(tmp_path / "no-model"),
                        "--task", f"jsonl:{p}", "--template", "{choice} {foo}"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "{foo}" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_literal_backslash_n_is_warned_about(tmp_path):
    p = _write(tmp_path / "t.jsonl", TRUTHFULQA, array=False)
    t = make_task(f"jsonl:{p}", None, template="Claim: {choice}\\nTrue or false:")
    assert any("backslash-n" in w for w in t.params["warnings"])
    assert "\\n" in t.queries()[0]  # the two characters really are in every prompt
    assert "warnings" not in make_task(f"jsonl:{p}", None, template="Claim: {choice}\nTrue or false:").params


@pytest.mark.parametrize("record, words", [
    ({"question": None, "choice": "x"}, ["line 1", "'question'", "string", "NoneType"]),
    ({"question": "q", "choice": None}, ["line 1", "'choice'", "string"]),
    ({"question": "q", "choice": {"text": "x"}}, ["line 1", "'choice'", "dict"]),
    ({"question": "q"}, ["line 1", "'choice'"]),
    ({"question": "q", "choice": "x", "label": 2}, ["line 1", "label"]),
    ({"question": "q", "choice": "x", "consistency_id": 1.5}, ["line 1", "consistency_id"]),
])
def test_text_fields_are_typed(tmp_path, record, words):
    p = tmp_path / "t.jsonl"
    p.write_text(json.dumps(record) + "\n")
    with pytest.raises(ValueError) as err:
        load_jsonl(p)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_an_array_names_the_bad_item_and_a_list_line_says_what_a_record_is(tmp_path):
    p = tmp_path / "t.json"
    p.write_text(json.dumps([TRUTHFULQA[0], ["not", "an", "object"]]))
    with pytest.raises(ValueError, match="item 2: each record must be a JSON object, got list"):
        load_jsonl(p)
    p.write_text('[{"choice": "x"},\n {"choice": }]')
    with pytest.raises(ValueError, match="is a JSON array but not valid JSON"):
        load_jsonl(p)
    p.write_text('{"choice": "x"}\nnot json\n')
    with pytest.raises(ValueError, match="line 2: not valid JSON .*one JSON array of objects"):
        load_jsonl(p)


def test_line_separators_inside_strings_stay_inside(tmp_path):
    """U+2028, U+2029 and NEL are legal raw inside a JSON string; only \\n ends a JSONL line."""
    recs = [{"question": "q", "choice": f"a{sep}b", "label": 1} for sep in ("\u2028", "\u2029", "\x85")]
    p = tmp_path / "t.jsonl"
    p.write_text("\r\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\r\n", encoding="utf-8")
    items = load_jsonl(p)
    assert [it.choice for it in items] == [r["choice"] for r in recs]


def test_a_file_without_questions_gets_a_format_that_renders_it_and_says_so(tmp_path):
    recs = [{"choice": "Great food, kind staff.", "label": True, "consistency_id": 0},
            {"choice": "Cold food, rude staff.", "label": False, "consistency_id": 0}]
    p = _write(tmp_path / "r.jsonl", recs, array=False)
    t = make_task(f"jsonl:{p}", None)
    assert t.fmt.name == "review-sentiment" and "no 'question' field" in t.params["warnings"][0]
    with pytest.raises(ValueError, match=r"\{question\}, which item 1"):
        make_task(f"jsonl:{p}", None, fmt="claim-question")


def test_an_over_long_prompt_is_refused_before_any_forward_pass(tmp_path):
    """The longest prompt is counted from the prior's own tokens (checked against the prompt the
    prior builds), and a context shorter than it is refused naming the item and the excess."""
    pytest.importorskip("torch")
    from simulations.lm.backends.knowledge import prior_for
    from simulations.lm.backends.loader import load
    from simulations.lm.tasks.prompt_length import prompt_lengths

    lm = load("tiny-random", device="cpu", threads=1)
    recs = [{"question": "q", "choice": "word " * (3 + 5 * (i == 2)), "label": i % 2} for i in range(6)]
    t = make_task(f"jsonl:{_write(tmp_path / 'long.jsonl', recs, array=False)}", None)
    prior = prior_for(lm, t)
    s = prompt_lengths(prior)
    assert s["longest_item"] == 3
    others = [j for j in range(6) if j != 2]
    assert s["longest_prompt"] == len(prior.prompt_tokens(t.gold, 2, others))
    assert prior.forward_tokens == 0
    lm.model.config.max_position_embeddings = s["longest_prompt"] - 1
    try:
        with pytest.raises(ValueError, match=r"item 3, .* is \d+ tokens, 1 more than the model's context"):
            prior_for(lm, t)
    finally:
        lm.model.config.max_position_embeddings = s["context"]
