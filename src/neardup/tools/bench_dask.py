"""The distributed join's row of ``neardup bench --dask SCHEDULER``.

Like every backend, the join runs in a fresh subprocess (``python -m
neardup.tools.bench_dask``) on the same saved hashes. The child connects to the cluster
(``local:N`` starts one: its start-up, with every worker loading the compiled kernel, is
reported as ``cluster_s``, outside ``total_s``),
runs :func:`neardup.pipeline.dask.join.distributed_pairs` (``build_s``: collapsing
identical hashes and sending them to the workers; ``pairs_s``: the join), and reports the
peak resident memory of each worker process (``dask_peak_worker_mb``: the largest). On a
long-running remote cluster a worker's peak covers its whole life, not only this join.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from neardup.errors import NeardupError
from neardup.tools.bench import cpu_seconds, peak_rss_mb


def _worker_peak_mb() -> float:
    return peak_rss_mb()


def worker(argv: Sequence[str]) -> int:
    """Child: ``scheduler hashes.npy radius out.npy``; prints one JSON line."""
    from neardup.pipeline.dask.cluster import connect
    from neardup.pipeline.dask.join import distributed_pairs
    from neardup.pipeline.dask.kernel import warm_up

    scheduler, hashes_path, radius_text, out_path = argv
    hashes = np.load(hashes_path)
    report: dict[str, Any] = {"status": "ok", "exact": True}
    try:
        t0 = time.perf_counter()
        with connect(scheduler, warm=False) as client:
            client.wait_for_workers(1)
            client.run(warm_up)  # every worker has the compiled kernel loaded
            report["cluster_s"] = round(time.perf_counter() - t0, 4)
            report["dask_workers"] = len(client.nthreads())
            stats: dict[str, Any] = {}
            before, c0 = client.run(cpu_seconds), cpu_seconds()
            block = distributed_pairs(hashes, int(radius_text), client, stats=stats)
            cpu = cpu_seconds() - c0
            after = client.run(cpu_seconds)
            cpu += sum(after[w] - before.get(w, 0.0) for w in after)
            peaks = client.run(_worker_peak_mb)
    except NeardupError as exc:
        print(json.dumps({"status": "failed", "detail": str(exc)}))
        return 0
    found = np.column_stack(block).astype(np.int64) if len(block) else np.empty((0, 3), np.int64)
    np.save(out_path, found)
    join_s = float(stats.get("join_s", 0.0))
    report.update(
        {
            "build_s": round(float(stats.get("total_s", 0.0)) - join_s, 4),
            "pairs_s": round(join_s, 4),
            "cpu_s": round(cpu, 3),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "dask_peak_worker_mb": round(max(peaks.values(), default=0.0), 1),
            "pairs": int(found.shape[0]),
            "detail": f"dask {scheduler}: {stats.get('plan', 'no join needed')}",
        }
    )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(worker(sys.argv[1:]))
