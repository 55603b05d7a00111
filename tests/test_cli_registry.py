"""The command registry of ``coherence``: every command is listed, a missing optional extra is a
one-line error naming the extra (exit 2), a missing module of the project is an error."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coherence import cli

ROOT = Path(__file__).resolve().parents[1]

# a child process in which the named top-level packages cannot be imported
BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in {blocked!r}):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, Block())
from coherence.cli import main
sys.exit(main({argv!r}))
"""


def _blocked(blocked, argv):
    code = BLOCK.format(blocked=tuple(blocked), argv=list(argv))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(ROOT)})


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for name in ("check", "bench", "figures", "explore", "lm", "all"):
        assert f"    {name} " in out, name


def test_lm_without_torch_names_the_extra():
    p = _blocked(["torch", "transformers"], ["lm", "run", "--model", "tiny-random"])
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "[lm]" in lines[0] and "pip install" in lines[0], p.stderr
    assert "Traceback" not in p.stderr


def test_lm_module_missing_its_extra_at_import_is_still_listed(monkeypatch, capsys):
    exc = ModuleNotFoundError("No module named 'torch'", name="torch")
    monkeypatch.setattr(cli, "_lm_module", lambda: cli.MissingExtra(exc))
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "    lm " in capsys.readouterr().out
    assert cli.main(["lm", "run", "--task", "x"]) == 2
    assert "pip install -e '.[lm]'" in capsys.readouterr().err


def test_missing_project_module_is_an_error_not_a_shorter_list():
    # a module of the project that cannot be imported must fail loudly, whatever command is run
    p = _blocked(["simulations.explore"], ["check", "--list"])
    assert p.returncode != 0 and "explore" in p.stderr.splitlines()[-1]
    p = _blocked(["simulations.lm"], ["--help"])
    assert p.returncode != 0 and "lm" in p.stderr.splitlines()[-1]


def test_extra_for_only_maps_third_party_packages():
    assert cli.extra_for(ModuleNotFoundError("x", name="distributed.client")) == "dask"
    assert cli.extra_for(ModuleNotFoundError("x", name="pgmpy")) == "peers"
    assert cli.extra_for(ModuleNotFoundError("x", name="coherence.lm")) is None
    assert cli.extra_for(ModuleNotFoundError("x", name="theory")) is None
