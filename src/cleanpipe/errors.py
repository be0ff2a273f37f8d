"""The exceptions cleanpipe raises.

Every error is a ``CleanpipeError``; catch that to catch them all::

    CleanpipeError
    ├── InputError          an input cannot be used (carries ``path`` and ``line``)
    ├── ConfigError         a configuration file or option is invalid
    ├── OutputError         the output folder cannot be written
    ├── AccountingError     a run lost track of an input (inputs != records' origins + rejects)
    └── StrictModeError     ``strict`` is on and an input was rejected

Batch runs never raise ``InputError`` for one bad input: they write it to
``rejects.jsonl`` and go on. Single-document library calls raise it.
"""

from __future__ import annotations


class CleanpipeError(Exception):
    """The root of every cleanpipe error."""


class InputError(CleanpipeError):
    """An input cannot be used: the message says where, what and what was done."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.reason = reason


class ConfigError(CleanpipeError):
    """A configuration file or option is invalid."""


class OutputError(CleanpipeError):
    """The output folder or a file in it cannot be written."""


class AccountingError(CleanpipeError):
    """A run's counts do not balance: an input was lost or counted twice."""


class StrictModeError(CleanpipeError):
    """An input was rejected while ``strict`` was on."""
