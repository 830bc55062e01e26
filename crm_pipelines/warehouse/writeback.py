"""Start the disk writes of a large SQLite transaction while it runs, not at its end.

In WAL mode, with ``synchronous=NORMAL``, a commit writes nothing to disk itself: the pages sit in
the write-ahead log, in the kernel's page cache, until the checkpoint that follows a large commit
copies them into the database file and syncs both. The kernel starts writing dirty pages on its own
only once they make up a tenth of the memory or are 30 s old, so a publish of a 1M-record tenant
(900 MB of pages) left the disk idle for its 9 s of inserts, and its commit then waited for 1.8 GB
of writes: 5-6 s on the benchmark host.

``early_writeback`` asks the kernel every quarter second to start writing what is dirty in the
log and the database file (Linux ``sync_file_range(SYNC_FILE_RANGE_WRITE)``: it starts the writes
and does not wait for them; PostgreSQL's ``*_flush_after`` settings do the same). The log is then
on disk by the commit, and the checkpoint's own writes start while it copies. Nothing about what
is durable when changes: the checkpoint still syncs both files. Elsewhere than on Linux it does
nothing.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SYNC_FILE_RANGE_WRITE = 2
INTERVAL_S = 0.25


def _sync_file_range():
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError, TypeError):  # not Linux, no such libc symbol, or no C library by that name
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint)
    return function


_START_WRITES = _sync_file_range()


def start_writes(fds: dict[str, int], paths: tuple[str, ...]) -> int:
    """One round: the dirty pages of each of ``paths`` that exists are handed to the disk (files
    opened once, kept in ``fds``). Returns how many files it asked for."""
    asked = 0
    for path in paths:
        if path not in fds:
            try:
                fds[path] = os.open(path, os.O_RDONLY)
            except OSError:  # not there (yet): the log appears with the first write
                continue
        if _START_WRITES is not None and _START_WRITES(fds[path], 0, 0, SYNC_FILE_RANGE_WRITE) == 0:
            asked += 1
    return asked


@contextmanager
def early_writeback(database: str | None, interval_s: float = INTERVAL_S) -> Iterator[None]:
    """While the block runs (a transaction on the SQLite file ``database``, its commit included),
    a thread starts the writes of the file's and its log's dirty pages every ``interval_s``.
    ``database=None`` (no SQLite file) or no ``sync_file_range``: nothing is done."""
    if database is None or _START_WRITES is None:
        yield
        return
    stop = threading.Event()
    fds: dict[str, int] = {}
    paths = (database + "-wal", database)

    def run() -> None:
        while not stop.wait(interval_s):
            start_writes(fds, paths)

    thread = threading.Thread(target=run, name="sqlite-writeback", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        for fd in fds.values():
            os.close(fd)
