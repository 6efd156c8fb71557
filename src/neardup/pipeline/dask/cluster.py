"""Connecting to a Dask cluster from a ``--dask SCHEDULER`` value.

``local`` starts a LocalCluster with one single-threaded worker process per core,
``local:N`` one with N workers; anything else is a scheduler address such as
``tcp://host:8786`` (a plain ``host:port`` is accepted too).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from neardup.errors import NeardupError, UsageError
from neardup.pipeline.dask import require_dask

#: Dask settings of a ``local`` cluster: the statistical profiler (a stack sample every
#: 10 ms) and the GIL monitor cost each worker about 2 % of a core even when idle, and more
#: while the join's compiled kernel runs; neardup never reads them.
LOCAL_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
}

_LOCAL = re.compile(r"^local(?::(\d+))?$")
_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?[^\s/:]+:\d+$")


@dataclass(frozen=True, slots=True)
class SchedulerSpec:
    """A parsed ``--dask`` value: a local cluster of ``workers`` or a remote ``address``."""

    workers: int | None = None
    address: str | None = None

    @property
    def local(self) -> bool:
        return self.address is None


def parse_scheduler(value: str) -> SchedulerSpec:
    """Parse ``local``, ``local:N`` or a scheduler address.

    >>> parse_scheduler("local:2")
    SchedulerSpec(workers=2, address=None)
    >>> parse_scheduler("tcp://10.0.0.5:8786").address
    'tcp://10.0.0.5:8786'
    """
    text = value.strip()
    local = _LOCAL.match(text)
    if local:
        count = int(local.group(1)) if local.group(1) else (os.cpu_count() or 1)
        if count < 1:
            raise UsageError("--dask local:N needs N >= 1")
        return SchedulerSpec(workers=count)
    if _ADDRESS.match(text):
        return SchedulerSpec(address=text)
    raise UsageError(
        "--dask takes 'local', 'local:N' or a scheduler address like tcp://host:8786, "
        f"got {value!r}"
    )


def warm_workers(client: Any) -> None:
    """Have every worker load the join's compiled kernel, as a task of its own that the
    client does not wait for (the scan's hashing tasks queue behind it)."""
    from distributed import fire_and_forget

    from neardup.pipeline.dask.kernel import warm_up

    for i, address in enumerate(client.nthreads()):
        future = client.submit(
            warm_up, pure=False, workers=[address], allow_other_workers=False,
            key=f"neardup-warm-up-{i}-{address}",
        )  # fmt: skip
        fire_and_forget(future)


@contextlib.contextmanager
def connect(value: str | SchedulerSpec, *, warm: bool = True) -> Iterator[Any]:
    """Yield a ``distributed.Client`` for ``value``; a local cluster is closed afterwards.

    With ``warm``, the workers of a local cluster load the join's compiled kernel in the
    background while the client goes on (hashing comes first in a scan).
    """
    spec = parse_scheduler(value) if isinstance(value, str) else value
    require_dask()
    from distributed import Client, LocalCluster

    if spec.local:
        import dask

        with (
            dask.config.set(LOCAL_CONFIG),
            LocalCluster(
                n_workers=spec.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=40,
            ) as cluster,
            Client(cluster) as client,
        ):
            if warm:
                warm_workers(client)
            yield client
        return
    try:
        client = Client(spec.address, timeout="10s")
    except OSError as exc:
        raise NeardupError(f"cannot reach the Dask scheduler at {spec.address}: {exc}") from None
    with client:
        yield client
