"""Fixtures of the engine tests: a real two-process LocalCluster and a generated dump."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cleanpipe.executors.dask import DaskExecutor

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="session")
def dask_executor() -> Iterator[DaskExecutor]:
    """Two worker processes, one thread each, started once and closed after the tests."""
    with DaskExecutor(workers=2) as executor:
        yield executor


@pytest.fixture(scope="session")
def generated_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dump folder of 1,000 generated documents in mixed formats, with near-duplicates."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from scale import write_dump
    finally:
        sys.path.remove(str(BENCHMARKS))
    root = tmp_path_factory.mktemp("generated") / "raw"
    write_dump(root, 1000, seed=7)
    return root
