"""The same sweep on a Dask cluster through joblib's dask backend (``--backend dask``)."""
from __future__ import annotations

import pytest

from simulations import sweep as S
from sweep_fixture import demo_point

distributed = pytest.importorskip("distributed")


def test_dask_local_cluster_matches_sequential(tmp_path):
    pts = [{"seed": s, "draws": 4} for s in range(10)]
    seq = S.sweep(demo_point, pts, use_cache=False, backend="sequential", progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        res = S.sweep(demo_point, pts, cache=tmp_path / "c", backend="dask",
                      scheduler=cluster.scheduler_address, progress=False)
    assert S.canonical_json(res) == S.canonical_json(seq)
    assert len(list((tmp_path / "c").glob("*.json"))) == 10
    # the cache written through the cluster is read back without recomputation
    again = S.sweep(demo_point, pts, cache=tmp_path / "c", backend="sequential", progress=False)
    assert again == res
