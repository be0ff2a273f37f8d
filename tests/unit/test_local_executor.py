from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cleanpipe.executors.local import LocalExecutor
from cleanpipe.heap import malloc_trim


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


_TRIM_CHECK = """
import sys
from pathlib import Path

from cleanpipe.executors.local import _call_and_trim

survivors = []


def fragment(count):
    # ~330 MB of texts (over the 256 MiB a worker keeps), one in 64 kept: the
    # heap cannot shrink from its top.
    texts = [("x" * 2000) + str(i) for i in range(count)]
    survivors.extend(texts[::64])
    return len(texts)


def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024


before = rss()
fragment(160_000)
untrimmed = rss() - before
survivors.clear()
before = rss()
assert _call_and_trim(fragment, 160_000) == 160_000
print(untrimmed, rss() - before)
"""


@pytest.mark.skipif(
    not Path("/proc/self/status").exists() or malloc_trim() is None,
    reason="needs Linux with glibc's malloc_trim",
)
def test_a_task_run_in_a_worker_gives_its_freed_memory_back() -> None:
    # In a fresh interpreter (pytest's own heap would blur the figures): without
    # the trim, freeing 63 of every 64 texts leaves the RSS where it was.
    done = subprocess.run(
        [sys.executable, "-c", _TRIM_CHECK], capture_output=True, text=True, check=True
    )
    untrimmed, trimmed = map(int, done.stdout.split())
    assert untrimmed > 150
    assert trimmed < untrimmed / 2


def test_a_worker_under_the_threshold_keeps_its_freed_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cleanpipe.executors.local as local
    from cleanpipe import heap

    trims: list[int] = []
    monkeypatch.setattr(heap, "malloc_trim", lambda: trims.append)
    monkeypatch.setattr(heap, "resident_bytes", lambda: local._TRIM_ABOVE - 1)
    assert local._call_and_trim(abs, -3) == 3
    assert trims == []  # small: its pages kept for the next task
    monkeypatch.setattr(heap, "resident_bytes", lambda: local._TRIM_ABOVE + 1)
    assert local._call_and_trim(abs, -3) == 3
    assert trims == [0]  # large: given back
    assert heap.resident_bytes.__name__ == "<lambda>"
    monkeypatch.undo()
    assert 0 < heap.resident_bytes() < 1 << 40  # the real reading, on Linux
