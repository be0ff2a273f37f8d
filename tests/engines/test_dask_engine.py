"""The dask engine gives the same records as the local one, on a real LocalCluster."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from cleanpipe.cli import main
from cleanpipe.config import Config
from cleanpipe.errors import ConfigError
from cleanpipe.executors.dask import DaskExecutor
from cleanpipe.pipeline import run
from tests.conftest import RAW

pytestmark = pytest.mark.slow

OUTPUTS = ("articles.jsonl", "rejects.jsonl")


def _report(out: Path) -> dict[str, object]:
    report: dict[str, object] = json.loads((out / "report.json").read_text())
    return report


def _run_dask(raw: Path, out: Path, executor: DaskExecutor, **options: object) -> Path:
    config = Config(workers=2, engine="dask", **options)  # type: ignore[arg-type]
    run(raw, out, config=config, executor=executor)
    return out


def _run_local(raw: Path, out: Path, **options: object) -> Path:
    run(raw, out, config=Config(workers=2, **options))  # type: ignore[arg-type]
    return out


def _assert_identical(local: Path, distributed: Path) -> None:
    for name in OUTPUTS:
        assert (distributed / name).read_bytes() == (local / name).read_bytes(), name
    assert _report(distributed) == _report(local)


@pytest.fixture(scope="module")
def local_generated(generated_dump, tmp_path_factory) -> Path:
    return _run_local(generated_dump, tmp_path_factory.mktemp("local") / "out")


@pytest.mark.parametrize("dedup_enabled", [True, False])
def test_seed_gives_byte_identical_output(tmp_path, dask_executor, dedup_enabled):
    local = _run_local(RAW, tmp_path / "local", dedup_enabled=dedup_enabled)
    distributed = _run_dask(RAW, tmp_path / "dask", dask_executor, dedup_enabled=dedup_enabled)
    _assert_identical(local, distributed)
    # The two seed files are one story; cleaned, they are exact copies.
    assert _report(local)["merged"] == 1


@pytest.mark.parametrize("partition_bytes", [16 * 2**20, 64 * 1024])
def test_generated_corpus_gives_byte_identical_output(
    tmp_path, dask_executor, generated_dump, local_generated, partition_bytes
):
    distributed = _run_dask(
        generated_dump, tmp_path / "dask", dask_executor, partition_bytes=partition_bytes
    )
    _assert_identical(local_generated, distributed)
    report = _report(local_generated)
    # The corpus exercises every corpus step: exact and near copies merged,
    # clusters of four and more, repeated lines, and rejections.
    assert report["merged"] > 200
    assert max(int(size) for size in report["cluster_sizes"]) >= 4
    assert report["removed_by_rule"].get("repeated_line", 0) > 0
    assert report["rejected"] >= 3


def test_small_partitions_on_two_local_workers_give_the_same_output(
    tmp_path, generated_dump, local_generated
):
    # 64 KiB partitions: the big JSONL feeds are cut, and many partitions run
    # on each of the two worker processes.
    from cleanpipe.plan import plan_run

    config = Config(workers=2, partition_bytes=64 * 1024)
    assert len(plan_run(generated_dump, config=config, partition_bytes=64 * 1024).partitions) > 10
    out = _run_local(generated_dump, tmp_path / "out", partition_bytes=64 * 1024)
    _assert_identical(local_generated, out)


def test_the_steps_run_in_the_worker_processes(dask_executor):
    pids = set(dask_executor.map(_pid, list(range(8))))
    assert os.getpid() not in pids
    assert len(pids) == 2


def _pid(_item: int) -> int:
    import time

    time.sleep(0.2)  # long enough that both workers take tasks
    return os.getpid()


def test_executor_map_keeps_the_order(dask_executor):
    assert list(dask_executor.map(abs, [-3, 1, -2, 5])) == [3, 1, 2, 5]
    assert dask_executor.dashboard_link is not None


def test_cli_runs_on_dask_and_prints_the_dashboard(tmp_path, capsys):
    code = main(["run", str(RAW), str(tmp_path / "out"), "--engine", "dask", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 0
    assert "cleanpipe: dask dashboard at http://" in err
    assert "2 inputs → 1 records (1 merged)" in err


def test_missing_extra_is_a_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ConfigError, match=r"pip install 'cleanpipe\[dask\]'"):
        DaskExecutor(workers=1)


def test_unreachable_scheduler_is_a_config_error():
    with pytest.raises(ConfigError, match=r"tcp://127\.0\.0\.1:9: cannot start or reach"):
        DaskExecutor(scheduler="tcp://127.0.0.1:9", timeout_s=2)
