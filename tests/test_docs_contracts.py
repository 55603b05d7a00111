"""The documentation matches the code: the `--json` field tables of docs/cli.md against what the
commands really print, and every section of docs/theory.md that a source file cites exists."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from coherence.cli import main

ROOT = Path(__file__).resolve().parents[1]
CLI_DOC = (ROOT / "docs" / "cli.md").read_text()
THEORY_DOC = (ROOT / "docs" / "theory.md").read_text()


def documented_fields(heading: str) -> tuple[set, set]:
    """(required, optional) field names of the first table under the markdown heading ``heading``."""
    m = re.search(rf"^#+ {re.escape(heading)}\n(.*?)(?=^#+ |\Z)", CLI_DOC, re.S | re.M)
    assert m, f"docs/cli.md has no heading {heading!r}"
    required, optional = set(), set()
    for row in re.findall(r"^\| `([^`]+)` \|(.*)$", m.group(1), re.M):
        (optional if "*optional*" in row[1] else required).add(row[0])
    assert required, f"no field table under {heading!r}"
    return required, optional


def assert_matches(record: dict, heading: str) -> None:
    required, optional = documented_fields(heading)
    keys = set(record)
    assert required <= keys, f"documented in docs/cli.md but not printed: {sorted(required - keys)}"
    assert keys <= required | optional, f"printed but not documented in docs/cli.md: {sorted(keys - required - optional)}"


def test_documented_fields_parser_sees_optional_markers():
    required, optional = documented_fields("coherence lm run")
    assert "accuracy" in required and "shots" in optional and not required & optional


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


def test_bench_json_matches_docs(capsys):
    assert main(["bench", "--quick", "--only", "dm-vs-scipy", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in records] == ["dm-vs-scipy"]
    assert_matches(records[0], "coherence bench")
    assert records[0]["ratio"] == pytest.approx(records[0]["baseline"] / records[0]["ours"])


def test_explore_json_matches_docs(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COHERENCE_CACHE", str(tmp_path))
    assert main(["explore", "R2", "--set", "x=0,1", "--set", "seeds=1", "--no-cache", "--json"]) == 0
    assert_matches(json.loads(capsys.readouterr().out), "coherence explore")


@pytest.mark.parametrize("method", ["zero-shot", "icm"])
def test_lm_run_json_matches_docs(capsys, method):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    assert main(["lm", "run", "--model", "tiny-random", "--task", "arithmetic", "--method", method,
                 "-n", "6", "--steps", "2", "--device", "cpu", "--json"]) == 0
    assert_matches(json.loads(capsys.readouterr().out), "coherence lm run")


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
