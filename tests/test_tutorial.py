"""docs/tutorial.ipynb runs from top to bottom (its cells assert what the text claims).

Run by the ordinary test command; ``pytest --nbmake docs/tutorial.ipynb`` runs it the same way."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"


def test_tutorial_is_committed_without_outputs():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert sum(c.cell_type == "code" for c in nb.cells) >= 5


def test_tutorial_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()        # raises CellExecutionError, with the failing cell, when an assert fails
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "measured = predicted in 100% of the cells" in printed
