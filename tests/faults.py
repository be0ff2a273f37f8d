"""Fault injection shared by the crash tests: die at the n-th filesystem step of the writer."""

from __future__ import annotations

import os
import signal
from pathlib import Path


def kill_at(step: int) -> None:
    """Make this process SIGKILL itself at the ``step``-th filesystem step of the writer."""
    import cleanpipe.write as writer

    count = [0]

    def wrap(fn):  # type: ignore[no-untyped-def]
        def killer(*args: object, **kwargs: object) -> object:
            count[0] += 1
            if count[0] == step:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*args, **kwargs)

        return killer

    writer.os.fsync = wrap(os.fsync)  # type: ignore[attr-defined]
    writer.os.link = wrap(os.link)  # type: ignore[attr-defined]
    for name in ("replace", "symlink_to", "mkdir", "unlink", "write_bytes"):
        setattr(writer.Path, name, wrap(getattr(Path, name)))
    writer._write_synced = wrap(writer._write_synced)  # type: ignore[attr-defined]
