"""Regenerate the tables of README.md and docs/*.md from the data they describe.

    python docs/generate.py           # rewrite every generated block in place
    python docs/generate.py --check   # exit 1 (and name the blocks) when one is stale

Sources: the check registry (:func:`proofs_check.catalogue.all_checks`: ids, claims, modules),
``figures/claims.json`` (the committed verdicts and measurements of ``coherence all``),
``figures/manifest.json`` (figure ids, claims, findings) and the headings of ``docs/theory.md``
(the claim names and their anchors). A generated block sits between two markers,

    <!-- BEGIN generated:NAME by docs/generate.py -->  ...  <!-- END generated:NAME -->

and everything outside the markers is hand-written. ``tests/test_docs_generated.py`` fails when a
committed block differs from what this script produces, so no number in them can go stale.
"""
from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: figures shown in the README gallery, in order
GALLERY = ("R5-compressibility-bias", "phase-R5-noise-vs-noise", "R9-pseudo-likelihood", "C4-persona-collapse",
           "C3-kl-optimality", "R12-leaky-constraints", "LM-landscape", "LM-salience")
#: README claim-index rows: (row key, theory.md heading prefix)
ROWS = (("C1", "C1"), ("C2", "C2"), ("C3", "C3"), ("C4", "C4"), ("C5", "C5"),
        *((f"C5.R{j}", f"R{j}") for j in range(1, 14)), ("I", "5."), *((f"P{j}", f"P{j}") for j in range(1, 9)))


def slug(heading: str) -> str:
    """The anchor GitHub gives a markdown heading."""
    s = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return s.replace(" ", "-")


def theory_headings() -> dict:
    """theory.md heading prefix (``C1``, ``R5``, ``5.``) -> (title without the prefix, anchor)."""
    out = {}
    for h in re.findall(r"^#+ (.+)$", (ROOT / "docs" / "theory.md").read_text(), re.M):
        key, _, title = h.partition(" ")
        out[key] = (title, slug(h))
    return out


def load_data() -> tuple[list, dict, list]:
    """(registry checks, committed check records by id, manifest figure entries)."""
    from proofs_check.catalogue import all_checks

    records = {r["id"]: r for r in json.loads((ROOT / "figures" / "claims.json").read_text())}
    figures = json.loads((ROOT / "figures" / "manifest.json").read_text())["figures"]
    return all_checks(), records, figures


def row_checks(key: str, checks: list) -> list:
    """The checks of one claim-index row: ``C5`` alone takes only the C5 checks of no regime."""
    if key == "C5":
        return [c for c in checks if c.claim == "C5" and not re.match(r"C5\.R\d+\.", c.id)]
    return [c for c in checks if c.id.startswith(key + ".")]


def row_figures(key: str, figures: list) -> list:
    return [f["id"] for f in figures if key in f["claims"]]


def summary_line(checks: list, records: dict, figures: list) -> str:
    as_expected = sum(records[c.id]["verdict"] == c.expected for c in checks if c.id in records)
    return textwrap.fill(f"{len(checks)} checks ({as_expected} with the expected verdict in the committed "
                         f"`figures/claims.json`) and {len(figures)} figures (`figures/manifest.json`).", 100)


def claim_index(checks: list, records: dict, figures: list) -> str:
    """README table: claim -> its theory.md section -> check ids -> modules -> figure ids."""
    heads = theory_headings()
    lines = [summary_line(checks, records, figures), "",
             "| claim | checks (`coherence check --only ID`) | module | figures |", "|---|---|---|---|"]
    for key, head in ROWS:
        title, anchor = heads[head]
        cs = row_checks(key, checks)
        ids = ", ".join(f"`{c.id}`" for c in cs)
        mods = ", ".join(sorted({f"`{c.module.split('.')[-1]}`" for c in cs}))
        figs = ", ".join(f"[{f}](docs/figures.md#{figure_anchor(f, figures)})" for f in row_figures(key, figures))
        name = "I" if key == "I" else key.split(".")[-1]
        lines.append(f"| [{name} {title}](docs/theory.md#{anchor}) | {ids} | {mods} | {figs or '-'} |")
    return "\n".join(lines)


def figure_anchor(fid: str, figures: list) -> str:
    entry = next(f for f in figures if f["id"] == fid)
    return slug(f"{fid} ({', '.join(entry['claims'])})")


def gallery(checks: list, records: dict, figures: list) -> str:
    """README gallery: each key figure with its one-line finding, read from the manifest."""
    by_id = {f["id"]: f for f in figures}
    lines = []
    for fid in GALLERY:
        f = by_id[fid]
        png = next(x for x in f["files"] if x.endswith(".png"))
        lines += [textwrap.fill(f"**{f['title']}**", 100), "", f"![{fid}](figures/{png})", "",
                  textwrap.fill(f["finding"], 100), ""]
    return "\n".join(lines).rstrip()


#: below this a measured residual is rounding: its digits change with the BLAS's summation order
#: from run to run, so the page prints the bound and stays current after a rerun of the checks
ROUNDING = 1e-12


def _short(v, bound=ROUNDING):
    if isinstance(v, float):
        return f"< {bound:g}" if 0 < abs(v) < bound else f"{v:.4g}"
    if isinstance(v, list) and len(v) <= 8 and all(isinstance(x, (int, float)) for x in v):
        return "[" + ", ".join(_short(x, bound) for x in v) + "]"
    if isinstance(v, (int, bool, str)) and len(str(v)) <= 80:
        return str(v)
    return None


def measured_lines(measured, tolerance=None) -> list:
    """The scalar (and short list) entries of a check's ``measured``, one level of nesting. A
    float below the check's ``tolerance`` (at least :data:`ROUNDING`) prints as that bound: its
    digits are a solver's or the rounding's and differ between runs (the exact value is in
    ``figures/claims.json``)."""
    bound = max(ROUNDING, tolerance) if isinstance(tolerance, (int, float)) else ROUNDING
    if not isinstance(measured, dict):
        s = _short(measured, bound)
        return [f"`{s}`"] if s is not None else []
    out = []
    for k, v in measured.items():
        if isinstance(v, dict):
            out += [f"`{k}.{k2}` = {s}" for k2, v2 in v.items() if (s := _short(v2, bound)) is not None]
        elif (s := _short(v, bound)) is not None:
            out.append(f"`{k}` = {s}")
    return out


def checks_page(checks: list, records: dict, figures: list) -> str:
    """docs/checks.md: a summary table, then one section per check with what it measured."""
    heads = theory_headings()
    lines = [summary_line(checks, records, figures), "",
             "| check | expected | verdict (committed) | module |", "|---|---|---|---|"]
    for c in checks:
        verdict = records.get(c.id, {}).get("verdict", "not run")
        lines.append(f"| [`{c.id}`](#{slug(c.id)}) | {c.expected} | {verdict} | `{c.module}` |")
    claim = None
    for c in checks:
        if c.claim != claim:
            claim = c.claim
            title, anchor = heads["5." if claim == "I" else claim]
            lines += ["", f"## {claim} {title}", "", f"Specification: [theory.md](theory.md#{anchor}).", ""]
        rec = records.get(c.id, {})
        bullets = [f"expected `{c.expected}`, committed verdict `{rec.get('verdict', 'not run')}`;"
                   f" module `{c.module}`; reproduce: `coherence check --quick --only {c.id}`",
                   f"conditions: {rec.get('conditions') or c.conditions or '-'}"]
        meas = measured_lines(rec.get("measured"), rec.get("tolerance"))
        if meas:
            bullets.append("measured (quick run): " + "; ".join(meas))
        if rec.get("counterexample") is not None:
            bullets.append("counterexample: in `figures/claims.json` (`coherence check --json`)")
        lines += [f"### {c.id}", "", textwrap.fill(c.statement, 100), ""]
        lines += [textwrap.fill(b, 100, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False,
                                break_long_words=False) for b in bullets]
        lines.append("")
    return "\n".join(lines).rstrip()


def figures_page(checks: list, records: dict, figures: list) -> str:
    from simulations.figures import readme_section

    return readme_section(figures, Path("../figures"))


def _lm(fn):
    """A generator of a real-model block: reads the committed table files."""
    def gen(checks, records, figures):
        from simulations.lm.results import report

        folder = ROOT / "figures" / "data" / "lm"
        return fn(report, folder, report.load_tables(folder))
    return gen


def lm_precision(checks: list, records: dict, figures: list) -> str:
    """The float32 / bfloat16 table of docs/lm.md#precision from the committed ``lm-forward``
    bench row (``coherence bench --json --only lm-forward > figures/data/lm-forward-bench.json``)."""
    from coherence.benchmarks.lm_forward import precision_table

    rows = json.loads((ROOT / "figures" / "data" / "lm-forward-bench.json").read_text())
    return precision_table(next(r for r in rows if r["name"] == "lm-forward"))


def lm_rerun(checks: list, records: dict, figures: list) -> str:
    """The tables still being filled (``figures/data/lm/in-progress/``), read from their files."""
    from simulations.lm.results.rerun_report import rerun_block

    return rerun_block(ROOT / "figures" / "data" / "lm" / "in-progress")


def lm_p8(checks: list, records: dict, figures: list) -> str:
    """P8 pooled over the exact debate checks of the rerun tables, committed or still being filled."""
    from simulations.lm.results.rerun_report import committed_tables, p8_pooled_table

    return p8_pooled_table(committed_tables(ROOT / "figures" / "data" / "lm"))


def lm_decisive(checks: list, records: dict, figures: list) -> str:
    """What growing P3's comparisons changed in the rerun tables, committed or still being filled."""
    from simulations.lm.results.rerun_report import committed_tables, decisive_table

    return decisive_table(committed_tables(ROOT / "figures" / "data" / "lm"))


def lm_changes(checks: list, records: dict, figures: list) -> str:
    """The verdicts each committed table changed from the one it replaced."""
    from simulations.lm.results.rerun_report import changes_block

    return changes_block(ROOT / "figures" / "data" / "lm")


def lm_training(checks: list, records: dict, figures: list) -> str:
    """The committed training tables (``figures/data/lm/training/``), read from their files."""
    from simulations.lm.results.training_report import training_block

    return training_block(ROOT / "figures" / "data" / "lm" / "training")


#: (file, block name) -> generator
BLOCKS = {("docs/lm.md", "lm-precision"): lm_precision,
          ("docs/lm.md", "lm-tables"): _lm(lambda r, f, t: r.model_blocks(t)),
          ("docs/lm.md", "lm-predictions"): _lm(lambda r, f, t: r.predictions_table(t)),
          ("docs/lm.md", "lm-gap"): _lm(lambda r, f, t: r.gap_table(t)),
          ("docs/lm.md", "lm-formats"): _lm(lambda r, f, t: r.formats_table(t)),
          ("docs/lm.md", "lm-fastpath"): _lm(lambda r, f, t: r.fastpath_table(f)),
          ("docs/lm.md", "lm-cost"): _lm(lambda r, f, t: r.cost_table(f)),
          ("docs/lm.md", "lm-diagnose"): _lm(lambda r, f, t: r.diagnose_table(f)),
          ("docs/lm.md", "lm-testbeds"): _lm(lambda r, f, t: r.testbed_table(f / "testbeds")),
          ("docs/lm.md", "lm-rerun"): lm_rerun, ("docs/lm.md", "lm-p8"): lm_p8,
          ("docs/lm.md", "lm-decisive"): lm_decisive, ("docs/lm.md", "lm-changes"): lm_changes,
          ("docs/lm.md", "lm-training"): lm_training,
          ("README.md", "lm-summary"): _lm(lambda r, f, t: r.readme_summary(t)),
          ("README.md", "claim-index"): claim_index, ("README.md", "gallery"): gallery,
          ("docs/checks.md", "checks"): checks_page, ("docs/figures.md", "figures"): figures_page}


def markers(name: str) -> tuple[str, str]:
    return f"<!-- BEGIN generated:{name} by docs/generate.py -->", f"<!-- END generated:{name} -->"


def render(text: str, name: str, body: str) -> str:
    """``text`` with the block ``name`` replaced by ``body``; raises ValueError when a marker is missing."""
    begin, end = markers(name)
    if begin not in text or end not in text:
        raise ValueError(f"markers of block {name!r} not found")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def stale_blocks(write: bool = False) -> list:
    """Names ``file:block`` of the blocks that differ from their generated text (rewritten when ``write``)."""
    data = load_data()
    stale = []
    for file in sorted({f for f, _ in BLOCKS}):
        path = ROOT / file
        old = text = path.read_text()
        for (f, name), gen in BLOCKS.items():
            if f == file:
                new = render(text, name, gen(*data))
                if new != text:
                    stale.append(f"{file}:{name}")
                text = new
        if write and text != old:
            path.write_text(text)
    return stale


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    stale = stale_blocks(write=not check)
    if stale:
        print(("stale: " if check else "rewrote: ") + ", ".join(stale), file=sys.stderr)
    return 1 if (check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
