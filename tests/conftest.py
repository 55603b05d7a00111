"""Every test gets its own cache root, so no test reads results cached by another (or by the
user's own runs in ~/.cache/coherence) and nothing is written to the user's cache."""
import pytest


@pytest.fixture(autouse=True)
def _private_cache_root(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("COHERENCE_CACHE_DIR", str(tmp_path_factory.mktemp("coherence-cache")))
