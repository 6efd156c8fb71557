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


@contextlib.contextmanager
def connect(value: str | SchedulerSpec) -> Iterator[Any]:
    """Yield a ``distributed.Client`` for ``value``; a local cluster is closed afterwards."""
    spec = parse_scheduler(value) if isinstance(value, str) else value
    require_dask()
    from distributed import Client, LocalCluster

    if spec.local:
        with (
            LocalCluster(
                n_workers=spec.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=40,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(spec.address, timeout="10s")
    except OSError as exc:
        raise NeardupError(f"cannot reach the Dask scheduler at {spec.address}: {exc}") from None
    with client:
        yield client
