"""``ruff check .`` passes: the lint settings are the project's own (``[tool.ruff]`` in pyproject.toml:
line length 120, pycodestyle errors and warnings, pyflakes), so CI keeps the code base clean."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    """The command that runs ruff: the module of this interpreter, else the executable beside it."""
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("ruff is not installed (it is in the test extra: pip install -e '.[test]')")
    return [exe]


def test_ruff_check_passes():
    # --no-cache: nothing written into the checkout, and no race between test workers
    p = subprocess.run([*_ruff(), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"ruff check . failed (exit {p.returncode}):\n{p.stdout}{p.stderr}"
