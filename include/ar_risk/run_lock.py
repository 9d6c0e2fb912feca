"""One pipeline run per AR_HOME at a time: ``$AR_HOME/run.lock``.

Two ``ar-risk run`` on one home would both wait on DuckDB's file lock and then
fail after minutes with an error about the warehouse. The run lock makes the
second one stop at once, naming the run that holds the home.

The lock is ``fcntl.flock`` on the file, not the file's existence: the kernel
releases it when the holding process ends, however it ends, so a lock file
left by a killed run never blocks the next one. The file's content (pid,
host, start time, as-of date, command) only serves the message.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ar_risk.config import Settings

RUN_LOCK_NAME = "run.lock"


class RunLockedError(RuntimeError):
    """Another pipeline run holds this AR_HOME."""


def run_lock_path(settings: Settings) -> Path:
    return settings.home / RUN_LOCK_NAME


def _holder_text(lock_path: Path) -> str:
    try:
        holder = json.loads(lock_path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        holder = {}
    if not holder:
        return "a run whose details are not written yet"
    return (
        f"pid {holder.get('pid')} on {holder.get('host')}, started at {holder.get('started_at')}, "
        f"as_of_date {holder.get('as_of_date')}, command {holder.get('command')!r}"
    )


@contextmanager
def run_lock(settings: Settings, as_of: dt.date, *, command: str | None = None) -> Iterator[Path]:
    """Hold ``$AR_HOME/run.lock`` for the duration of a pipeline run, or fail at once."""
    lock_path = run_lock_path(settings)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    # "a+" so that opening never truncates the holder's details before we own the lock.
    handle = lock_path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLockedError(
                f"another pipeline run is using {settings.home}: {_holder_text(lock_path)}. "
                "Wait for it to finish (its log is under "
                f"{settings.home / 'logs'}), or stop that process; the lock is released when it ends "
                f"({lock_path})."
            ) from None
        handle.seek(0)
        handle.truncate()
        json.dump(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "as_of_date": as_of.isoformat(),
                "command": command or " ".join(["ar-risk", *sys.argv[1:]]),
            },
            handle,
        )
        handle.flush()
        try:
            yield lock_path
        finally:
            # Emptied, not deleted: a run that opened the file meanwhile would lock the
            # deleted inode while a third one creates and locks a new file.
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()
