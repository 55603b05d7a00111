"""The documentation matches the code: the `--json` field tables of docs/cli.md against what the
commands really print (and the files `coherence lm table` and `coherence lm figures` write, on the
tiny-random model), and every section of docs/theory.md that a source file cites exists."""
from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
from pathlib import Path

import pytest

from coherence.cli import main

ROOT = Path(__file__).resolve().parents[1]
CLI_DOC = (ROOT / "docs" / "cli.md").read_text()
THEORY_DOC = (ROOT / "docs" / "theory.md").read_text()


def table_rows(heading: str) -> list:
    """``(field, rest of the row)`` of every field row in the section under the markdown heading."""
    m = re.search(rf"^#+ {re.escape(heading)}\n(.*?)(?=^#+ |\Z)", CLI_DOC, re.S | re.M)
    assert m, f"docs/cli.md has no heading {heading!r}"
    return re.findall(r"^\| `([^`]+)` \|(.*)$", m.group(1), re.M)


def documented_fields(heading: str) -> tuple[set, set]:
    """(required, optional) field names of the first table under the markdown heading ``heading``."""
    required, optional = set(), set()
    for row in table_rows(heading):
        (optional if "*optional*" in row[1] else required).add(row[0])
    assert required, f"no field table under {heading!r}"
    return required, optional


def assert_matches(record: dict, heading: str) -> None:
    required, optional = documented_fields(heading)
    keys = set(record)
    assert required <= keys, f"documented in docs/cli.md but not printed: {sorted(required - keys)}"
    assert keys <= required | optional, (
        f"printed but not documented in docs/cli.md: {sorted(keys - required - optional)}")


def run_record_fields(writer: str) -> tuple[set, set]:
    """(required, optional) fields of a run record written by ``writer`` (``"lm run"`` or
    ``"table"``), from the one table under "Run records": unmarked rows are in every record,
    ``*lm run*`` rows in every ``lm run`` record only, ``*optional*`` rows that name ``lm run``
    (or ``table files``) in that writer's records only."""
    required, optional = set(), set()
    for f, rest in table_rows("Run records"):
        meaning = re.split(r"(?<!\\)\|", rest)[1].strip()
        m = re.match(r"\*optional\*(?:, ([^:]*))?:", meaning)
        if meaning.startswith("*lm run*"):
            (required if writer == "lm run" else set()).add(f)
        elif m:
            where = m.group(1) or ""
            other = "table files" if writer == "lm run" else "lm run"
            if other not in where:
                optional.add(f)
        else:
            required.add(f)
    return required, optional


def assert_run_record(record: dict, writer: str) -> None:
    """``record`` holds every field docs/cli.md's "Run records" requires of ``writer`` and no
    field it does not document for it."""
    required, optional = run_record_fields(writer)
    if writer == "lm run" and not TIMING & set(record):  # --no-timing
        required -= TIMING
    keys = set(record)
    assert required <= keys, f"documented in docs/cli.md but not written: {sorted(required - keys)}"
    assert keys <= required | optional, f"written but not documented: {sorted(keys - required - optional)}"


def documented_rows(heading: str) -> dict:
    """``field -> meaning`` of the first table under ``heading``."""
    return {f: re.split(r"(?<!\\)\|", rest)[1] for f, rest in table_rows(heading)}  # split at unescaped pipes


def inline_keys(heading: str, field: str) -> set:
    """The keys an object field lists in its meaning cell as ``{a, b, c}`` (the first such list)."""
    m = re.search(r"`\{([^}`]+)\}`", documented_rows(heading)[field])
    assert m, f"docs/cli.md: {heading} / {field} lists no keys as `{{a, b}}`"
    return {k.strip().split(":")[0] for k in m.group(1).split(",")}


def optional_for(heading: str, tag: str) -> set:
    """Optional fields whose meaning starts ``*optional*, ...<tag>...:``: present in that situation."""
    out = set()
    for f, meaning in documented_rows(heading).items():
        m = re.match(r"\s*\*optional\*, ([^:]*):", meaning)
        if m and tag in m.group(1):
            out.add(f)
    return out


def test_documented_fields_parser_sees_optional_markers():
    required, optional = documented_fields("Run records")
    assert "accuracy" in required and "shots" in optional and not required & optional
    run, table = run_record_fields("lm run"), run_record_fields("table")
    # one schema: the fields every record has are required of both writers
    assert {"coh", "coherence", "coherence_per_order", "vs_gold", "constraint"} <= run[0] & table[0]
    assert "gold" in run[0] and "gold" not in table[0] | table[1]  # only lm run prints the gold labels
    assert "flips" in table[1] and "flips" not in run[0] | run[1]  # only a table counts the flips
    assert {"task_constraint", "labels_under_task_constraint"} <= run[1] & table[1]


def test_check_json_matches_docs(capsys):
    assert main(["check", "--only", "I.symmetric-ties", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 1
    assert_matches(records[0], "coherence check")


def test_committed_claims_and_manifest_match_docs():
    for rec in json.loads((ROOT / "figures" / "claims.json").read_text()):
        assert_matches(rec, "coherence check")
    for entry in json.loads((ROOT / "figures" / "manifest.json").read_text())["figures"]:
        assert_matches(entry, "coherence figures")


def check_bench_row(row: dict) -> None:
    assert_matches(row, "coherence bench")
    assert row["ratio"] == pytest.approx(row["baseline"] / row["ours"])
    if "peer" in row:
        assert optional_for("coherence bench", "peer rows") <= set(row)
        assert row["config"] == row["peer_best_config"]
        assert row["baseline"] == min(row["params"]["configs"].values())
    if "reference" in row:
        assert optional_for("coherence bench", "reference rows") <= set(row)
        assert row["ratio_vs_reference"] == pytest.approx(row["reference"] / row["ours"])
    assert (min(row["ratio"], row.get("ratio_vs_reference", 1.0)) < 1) <= bool(row.get("why"))


def test_bench_json_matches_docs(capsys):
    assert main(["bench", "--quick", "--only", "dm-vs-scipy", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in records] == ["dm-vs-scipy"]
    check_bench_row(records[0])
    assert records[0]["blas_threads"] == 1


def test_committed_bench_rows_match_docs():
    """figures/data/bench.json is one full `coherence bench --json` run (peer and reference rows)."""
    rows = json.loads((ROOT / "figures" / "data" / "bench.json").read_text())
    assert any("peer" in r for r in rows) and any("reference" in r for r in rows)
    for row in rows:
        check_bench_row(row)


def test_explore_json_matches_docs(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COHERENCE_CACHE", str(tmp_path))
    assert main(["explore", "R2", "--set", "x=0,1", "--set", "seeds=1", "--no-cache", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert_matches(rec, "coherence explore")
    assert set(rec["judgement"]) == inline_keys("coherence explore", "judgement")
    assert (rec["verdict"] == "not judged") == (rec["finding"] is None) == (not rec["judgement"]["judged"])


# -- coherence lm, on the randomly initialised tiny-random model --------------------------------

TINY = ["--model", "tiny-random", "--device", "cpu", "--threads", "1"]
TIMING = {"seconds", "tokens_per_s", "load_seconds", "conversion_seconds"}


def lm_text(args: list) -> str:
    """What ``coherence lm ARGS --json`` prints on stdout, run on tiny-random."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["lm", *args, *TINY, "--json"]) == 0
    return out.getvalue()


def lm_json(args: list) -> object:
    return json.loads(lm_text(args))


def needs_lm(data: bool = False) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    if data:
        pytest.importorskip("vaderSentiment")


@pytest.mark.parametrize("args, kind", [
    (["--task", "polarity-high", "-n", "8", "--method", "zero-shot"], "baselines"),
    (["--task", "polarity-high", "-n", "8", "--method", "chunked-bootstrap", "--chunk", "2", "--sweeps", "1"],
     "chunked"),
    (["--task", "polarity-high", "-n", "8", "--method", "coherence", "--chunk", "2", "--sweeps", "1"], "certified"),
    (["--task", "comparison", "-n", "6", "--method", "bootstrap", "--steps", "1"], "faithful"),
    (["--task", "polarity-high", "-n", "8", "--method", "debate", "--steps", "1"], "debate"),
], ids=["zero-shot", "chunked-bootstrap", "coherence", "bootstrap", "debate"])
def test_lm_run_json_matches_docs(args, kind):
    needs_lm(data="polarity-high" in args)
    rec = lm_json(["run", *args])
    assert_run_record(rec, "lm run")
    # the fields documented for this kind of method are printed, those of the other kinds are not
    kinds = ("baselines", "chunked", "certified", "faithful", "debate")
    table_only = optional_for("Run records", "table files")
    assert optional_for("Run records", kind) - table_only <= set(rec)
    others = set().union(*(optional_for("Run records", k) for k in kinds if k != kind))
    assert not (others - optional_for("Run records", kind)) & set(rec)
    assert set(rec["format"]) == inline_keys("Run records", "format")
    assert set(rec["accounting"]) == inline_keys("Run records", "accounting")
    assert rec["accounting"]["backend"] == "local" and rec["format_choice"] is None
    assert rec["accounting"]["forward_tokens"] >= rec["forward_tokens"]


def test_lm_run_no_timing_and_format_auto_match_docs():
    needs_lm(data=True)
    args = ["run", "--task", "polarity-high", "-n", "8", "--method", "zero-shot", "--format", "auto", "--no-timing"]
    text = lm_text(args)
    rec = json.loads(text)
    required, _ = run_record_fields("lm run")
    assert required - TIMING <= set(rec) and not TIMING & set(rec)
    assert_matches(rec["format_choice"], "coherence lm formats")
    assert rec["format"]["name"] == rec["format_choice"]["chosen"]
    assert lm_text(args) == text  # no timing, same --threads: the same bytes again


def test_lm_formats_json_matches_docs():
    needs_lm()
    res = lm_json(["formats", "--task", "comparison", "-n", "8"])
    assert_matches(res, "coherence lm formats")
    assert res["n_dev"] == 8 and res["chosen"] in res["auc"]


def check_landscape(land: dict, in_table: bool) -> None:
    assert_matches(land, "The landscape object")
    table_fields = optional_for("The landscape object", "table files")
    assert (table_fields <= set(land)) if in_table else not table_fields & set(land)
    entry = inline_keys("The landscape object", "labellings")
    assert {"gold", "negation", "all-0", "all-1", "zero-shot", "random-0", "random-1"} <= set(land["labellings"])
    for v in land["labellings"].values():
        assert set(v) == entry and len(v["per_order"]) == len(land["orders"])


def test_lm_diagnose_json_matches_docs():
    needs_lm(data=True)
    d = lm_json(["diagnose", "--task", "polarity-high", "-n", "8", "--chunk", "2", "--sweeps", "1", "--coh-orders", "3",
                 "--quiet"])
    assert_matches(d, "coherence lm diagnose")
    for key in ("zero_shot", "coh", "gold_climb", "regimes"):
        assert set(d[key]) == inline_keys("coherence lm diagnose", key), key
    entry = inline_keys("coherence lm diagnose", "landscape")
    assert all(set(v) == entry and v["orders"] == 3 for v in d["landscape"].values())
    assert all(set(v) == inline_keys("coherence lm diagnose", "comparisons") for k, v in d["comparisons"].items()
               if k != "found (balance)")
    assert set(d["found_free"]) == inline_keys("coherence lm diagnose", "found_free")
    assert set(d["found_constrained"]) == inline_keys("coherence lm diagnose", "found_constrained")
    assert set(d["found_constrained"]["certificate"]) == {"checked", "total", "improving", "unconfirmed"}
    rows = documented_rows("coherence lm diagnose")["regimes"]
    assert all(f"`{r['regime']}`" in rows for r in d["regimes"].values())
    assert d["found_constrained"]["constraint"] == d["constraint"] == "balance"


TABLE_ARGS = ["table", "--tasks", "polarity-high", "--methods", "zero-shot", "coherence", "--seeds", "0", "-n", "8",
              "--chunk", "2", "--sweeps", "1", "--coh-orders", "2"]


@pytest.fixture(scope="module")
def lm_table(tmp_path_factory):
    needs_lm(data=True)
    out = tmp_path_factory.mktemp("lm-table")
    data = lm_json([*TABLE_ARGS, "--out", str(out)])
    files = sorted(out.glob("*.json"))
    assert len(files) == 1
    return files[0], data


def test_lm_table_file_matches_docs(lm_table):
    from simulations.lm.results.table import TableConfig

    path, data = lm_table
    assert json.loads(path.read_text()) == data  # --json prints the file
    assert_matches(data, "coherence lm table")
    assert set(data["config"]) == inline_keys("coherence lm table", "config")
    assert inline_keys("coherence lm table", "model_info") <= set(data["model_info"])
    assert set(data["landscapes"]) == {"polarity-high|0"}
    check_landscape(data["landscapes"]["polarity-high|0"], in_table=True)
    assert_matches(data["formats"]["polarity-high"], "coherence lm formats")
    assert set(data["runs"]) == {"polarity-high|zero-shot|0", "polarity-high|coherence|0"}
    for method, kind in (("zero-shot", "baselines"), ("coherence", "certified ascent")):
        rec = data["runs"][f"polarity-high|{method}|0"]
        assert_run_record(rec, "table")
        assert optional_for("Run records", kind) - optional_for("Run records", "lm run") <= set(rec)
    assert path.name == f"tiny-random-n8-{TableConfig(**data['config']).key()}.json"


def test_lm_predictions_json_matches_docs(lm_table, capsys):
    path, _ = lm_table
    assert main(["lm", "predictions", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out) == 1 and out[0]["file"] == str(path)
    assert_matches(out[0], "coherence lm predictions")
    assert [p["id"] for p in out[0]["predictions"]] == [f"P{j}" for j in (1, 2, 3, 4, 5, 6, 8)]
    for pred in out[0]["predictions"]:
        assert_matches(pred, "Prediction records")
        assert pred["verdict"] in ("holds", "fails", "not judged")


def test_lm_figures_output_matches_docs(lm_table, tmp_path, capsys):
    path, _ = lm_table
    (tmp_path / "manifest.json").write_text(json.dumps({"figures": [{"id": "kept"}]}))
    assert main(["lm", "figures", str(path), "--out", str(tmp_path)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    entries = json.loads((tmp_path / "manifest.json").read_text())["figures"]
    assert [e["id"] for e in entries] == ["kept", "LM-salience", "LM-landscape"]
    for e in entries[1:]:
        assert_matches(e, "coherence figures")
        assert e["files"] == [f"{e['id']}.png", f"{e['id']}.pdf"] and e["data"] == f"data/{e['id']}.json"
        for f in [*e["files"], e["data"]]:
            assert (tmp_path / f).is_file()
        assert_matches(json.loads((tmp_path / e["data"]).read_text()), "coherence lm figures")


# -- docs/theory.md: every cited section exists ------------------------------------------------

HEADINGS = re.findall(r"^#+ (.+)$", THEORY_DOC, re.M)


def cited_sections() -> list[tuple[str, str]]:
    """(file, reference) for every ``docs/theory.md <ref>`` in tracked files outside docs/."""
    out = subprocess.run(["git", "grep", "-h", "-o", "-E",
                          r"docs/theory\.md (section|sections|sec\.|claim)? ?[0-9CRI][0-9]*", "--", ":!docs"],
                         cwd=ROOT, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        pytest.skip("not a git checkout")
    refs = []
    for line in out.stdout.splitlines():
        ref = line.split()[-1]
        refs.append(ref)
    return sorted(set(refs))


def heading_for(ref: str) -> str | None:
    if ref.isdigit():
        return next((h for h in HEADINGS if h.startswith(f"{ref}. ")), None)
    return next((h for h in HEADINGS if h.split()[0] == ref), None)


def test_every_cited_theory_section_exists():
    refs = cited_sections()
    if not refs:
        pytest.skip("no citations found (not a git checkout?)")
    missing = [r for r in refs if r != "I" and heading_for(r) is None]
    assert not missing, f"docs/theory.md lacks the sections cited in the source: {missing}"


def test_theory_has_every_claim_and_regime():
    for ref in [f"C{j}" for j in range(1, 6)] + [f"R{j}" for j in range(1, 14)] + [str(j) for j in range(1, 8)]:
        assert heading_for(ref), f"docs/theory.md has no heading for {ref}"


def test_the_documented_climb_defaults_are_the_codes():
    from simulations.lm.searches.certified import ASCENTS
    from simulations.lm.searches.local_climb import CHECKS, STEPS

    text = " ".join((ROOT / "docs" / "cli.md").read_text().split())
    assert f"moves improves, default {CHECKS}; a polish or a climb from gold takes at most {STEPS} moves" in text
    assert {2: "the best two climbed"}[ASCENTS] in text
