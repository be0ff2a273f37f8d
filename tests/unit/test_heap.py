from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cleanpipe import heap

_FRAGMENTED = """
from cleanpipe import heap

survivors = []
texts = [("x" * 2000) + str(i) for i in range(100_000)]  # ~200 MB
survivors.extend(texts[::64])  # one in 64 kept: the heap cannot shrink from its top
del texts
before = heap.resident_bytes()
ran = heap.trim()
print(int(ran), before >> 20, heap.resident_bytes() >> 20)
"""


@pytest.mark.skipif(
    not Path("/proc/self/statm").exists() or heap.malloc_trim() is None,
    reason="needs Linux with glibc's malloc_trim",
)
def test_a_trim_gives_a_fragmented_heap_back() -> None:
    # In a fresh interpreter, as the driver is after a corpus step.
    done = subprocess.run(
        [sys.executable, "-c", _FRAGMENTED], capture_output=True, text=True, check=True
    )
    ran, before, after = map(int, done.stdout.split())
    assert ran == 1
    assert before > 150
    assert after < before / 2


def test_a_trim_waits_for_its_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(heap, "malloc_trim", lambda: calls.append)
    monkeypatch.setattr(heap, "resident_bytes", lambda: 100)
    assert heap.trim(above=100) is False
    assert calls == []
    assert heap.trim(above=99) is True
    assert heap.trim() is True  # no threshold: always
    assert calls == [0, 0]


def test_without_malloc_trim_nothing_happens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "malloc_trim", lambda: None)
    assert heap.trim() is False
