"""Every test gets its own cache root, so no test reads results cached by another (or by the
user's own runs in ~/.cache/coherence) and nothing is written to the user's cache. Converted
model weights are no result: one model cache per test session (per xdist worker, so two workers
never convert into one folder at once) is shared by its tests, so each model is converted once."""
import pytest


@pytest.fixture(scope="session")
def _session_model_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("coherence-models")


@pytest.fixture(autouse=True)
def _private_cache_root(tmp_path_factory, monkeypatch, _session_model_cache):
    monkeypatch.setenv("COHERENCE_CACHE_DIR", str(tmp_path_factory.mktemp("coherence-cache")))
    monkeypatch.setenv("COHERENCE_MODEL_CACHE", str(_session_model_cache))
