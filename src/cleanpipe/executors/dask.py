"""The cluster executor: partitions run as tasks on a Dask cluster (``--engine dask``).

Connects to an existing scheduler (``scheduler="tcp://host:8786"``) or starts
a ``LocalCluster`` of ``workers`` processes with one thread each (the stages
are pure Python that holds the GIL, so processes, not threads, give
parallelism). Dask is imported only here, and only when an executor is
opened: the core never needs the ``dask`` extra.

Like the local pool, it runs the steps of :mod:`cleanpipe.steps` and nothing
else: each task reads and writes the work folder, which must therefore be on
storage every worker can reach (``--work-dir`` on a shared filesystem for a
remote cluster; a local cluster shares the machine's). Only small summaries
travel back to the driver, never records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from cleanpipe.errors import ConfigError

if TYPE_CHECKING:
    from distributed import Client

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)

_MISSING_EXTRA = (
    "--engine dask needs the dask extra, which is not installed ({exc}); "
    "install it with: pip install 'cleanpipe[dask]'"
)


class DaskExecutor:
    """Map partitions over a Dask cluster; results come back in the items' order.

    Args:
        scheduler: Address of a running scheduler (``tcp://host:8786``); without
            one, a ``LocalCluster`` is started and closed with the executor.
        workers: Worker processes of the local cluster (ignored with ``scheduler``).
        timeout_s: How long to try reaching ``scheduler`` before giving up.

    Raises:
        ConfigError: the dask extra is missing, or the scheduler cannot be reached.
    """

    def __init__(
        self, *, scheduler: str | None = None, workers: int = 1, timeout_s: float = 30.0
    ) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ConfigError(_MISSING_EXTRA.format(exc=exc)) from exc
        self.scheduler = scheduler
        self.workers = max(1, workers)
        self._cluster: LocalCluster | None = None
        try:
            if scheduler is None:
                # distributed sets its loggers to INFO at import: make them follow
                # the application's level instead. Its scheduler logs every
                # shuffle's start and end at WARNING: routine here, so kept quiet.
                level = logging.getLogger().getEffectiveLevel()
                logging.getLogger("distributed").setLevel(level)
                logging.getLogger("distributed.shuffle._scheduler_plugin").setLevel(
                    max(level, logging.ERROR)
                )
                # One thread per worker: the stages hold the GIL. The dashboard
                # moves to a free port when 8787 is taken.
                self._cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":8787",
                )
                self.client: Client = Client(self._cluster)
            else:
                self.client = Client(scheduler, timeout=timeout_s)
        except OSError as exc:
            self.close()
            where = scheduler or "a local cluster"
            msg = f"{where}: cannot start or reach the Dask scheduler ({exc}); check --scheduler"
            raise ConfigError(msg) from exc
        log.info("dask dashboard: %s", self.dashboard_link)

    @property
    def dashboard_link(self) -> str | None:
        """The address of the Dask dashboard, if the scheduler serves one."""
        link: str | None = self.client.dashboard_link
        return link

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Apply ``fn`` to each item on the cluster; yield results in the items' order."""
        futures = self.client.map(fn, items, pure=False)
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.release()

    def close(self) -> None:
        """Close the client, and the local cluster if this executor started it."""
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
