"""The README's Python examples run as written, and its two commands match CI."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_example_runs(index, capsys):
    code = BLOCKS[index]
    if "simulations.lm" in code:
        pytest.importorskip("torch")
        pytest.importorskip("transformers")
    exec(compile(code, f"README.md[python block {index}]", "exec"), {"__name__": "__readme__"})
    assert capsys.readouterr().out.strip(), "every README example prints what it computes"


def test_ci_runs_the_readme_test_command():
    bash = re.findall(r"```bash\n(.*?)```", README, re.S)
    test_cmd = next(b.strip() for b in bash if "pytest" in b)
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd in ci
    assert "\n" not in test_cmd  # one line, as a user pastes it


def test_the_test_command_builds_llama_cpp_portably():
    """The CMAKE_ARGS of the README's test command are the launcher's one definition of the
    portable build (the hint a faulting server prints names the same flags)."""
    from simulations.lm.backends.llama_server import PORTABLE_CMAKE_ARGS

    bash = re.findall(r"```bash\n(.*?)```", README, re.S)
    test_cmd = next(b.strip() for b in bash if "pytest" in b)
    assert f'CMAKE_ARGS="{PORTABLE_CMAKE_ARGS}" pip install' in test_cmd
    assert "-DGGML_NATIVE=OFF" in PORTABLE_CMAKE_ARGS
