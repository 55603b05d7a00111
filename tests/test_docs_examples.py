"""The Python examples of docs/*.md run as written, and where a page shows an example's output
(a plain code block right after it, introduced by a line starting with "Output"), the example
prints exactly that. README.md's shown output is compared too (tests/test_readme.py runs it)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = re.compile(r"```python\n(.*?)```\n(?:\s*\nOutput[^\n]*\n\s*\n```\n(.*?)```)?", re.S)


def examples() -> list:
    out = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for j, m in enumerate(EXAMPLE.finditer(page.read_text())):
            out.append(pytest.param(page, m.group(1), m.group(2), id=f"{page.name}[{j}]"))
    return out


@pytest.mark.parametrize("page, code, shown", examples())
def test_example_runs_and_prints_what_the_page_shows(page, code, shown, capsys):
    if page.name == "README.md" and shown is None:
        pytest.skip("run by tests/test_readme.py")
    exec(compile(code, f"{page.name} example", "exec"), {"__name__": "__docs__"})
    printed = capsys.readouterr().out
    assert printed.strip(), "every example prints what it computes"
    if shown is not None:
        assert printed.rstrip() == shown.rstrip()


def test_the_output_pattern_is_found():
    shown = [s for _, _, s in (p.values for p in examples()) if s is not None]
    assert len(shown) >= 2, "README.md and docs/searches.md show outputs"
