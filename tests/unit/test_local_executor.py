from __future__ import annotations

import os
import time

import pytest

from cleanpipe.executors.local import LocalExecutor


def _pid(_item: int) -> int:
    time.sleep(0.05)
    return os.getpid()


def _fail_on_three(item: int) -> int:
    if item == 3:
        msg = "three"
        raise ValueError(msg)
    time.sleep(0.2)
    return item


def test_results_come_back_in_order_from_worker_processes() -> None:
    with LocalExecutor(workers=2) as executor:
        pids = list(executor.map(_pid, range(8)))
    assert len(pids) == 8
    assert os.getpid() not in pids


def test_a_failing_partition_stops_the_workers_and_raises() -> None:
    executor = LocalExecutor(workers=2)
    results = executor.map(_fail_on_three, range(40))
    with pytest.raises(ValueError, match="three"):
        list(results)
    assert executor._pool is None  # aborted: no pool left to hang the interpreter at exit
    executor.close()
