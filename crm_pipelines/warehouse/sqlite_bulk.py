"""Large writes to the SQLite warehouse through a helper process that binds the rows from Arrow.

Python's sqlite3 binds every value from a Python object (0.3 µs each, after the rows were built as
tuples): staging a 1M-record resolution, 50 million values, took 40 s that way. The ADBC SQLite
driver (Apache Arrow's database connectivity) binds them from Arrow buffers in C; the same staging
takes 14-22 s on this host.

The driver carries its own copy of the SQLite library, and two copies in one process release each
other's POSIX locks on a shared file (https://www.sqlite.org/howtocorrupt.html, 2.2.1), so the
driver runs in a helper process (``_sqlite_helper.py``), where locks work as between any two
processes. This process converts the frames to Arrow record batches and streams them through a pipe
while the helper writes the previous ones, so both cores work.

The helper runs every step in one transaction (``BEGIN IMMEDIATE``, with the engine's busy timeout)
and commits only after the whole stream arrived and this process sent ``commit``: when a frame
cannot be converted, this process stops or the helper fails, nothing is written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from crm_pipelines.warehouse._sqlite_helper import END_OF_STREAM
from crm_pipelines.warehouse.arrow_rows import NotConvertible, arrow_schema, record_batches
from crm_pipelines.warehouse.frames import written_columns
from crm_pipelines.warehouse.writeback import early_writeback

HELPER = Path(__file__).with_name("_sqlite_helper.py")
__all__ = ["BulkWriteFailed", "NotConvertible", "helper_error", "start_helper", "write"]

Step = sa.Executable | tuple[sa.Table, pd.DataFrame]  # a statement, or the rows of a frame for a table


class BulkWriteFailed(RuntimeError):
    """The helper process failed; nothing was written."""


def _statement(statement: sa.Executable) -> dict:
    compiled = statement.compile(dialect=sqlite.dialect())
    positions = getattr(compiled, "positiontup", None) or []  # DDL (CREATE TABLE) has no parameters
    return {"sql": str(compiled), "params": [compiled.params[k] for k in positions]}


def start_helper(plan: dict, errors, stdout=subprocess.DEVNULL) -> subprocess.Popen:
    """The helper process (``_sqlite_helper.py``), its stderr into the file ``errors``, with ``plan``
    sent as its first line (``{"database", "busy_timeout_ms"}`` and, to read, ``"query"``)."""
    proc = subprocess.Popen([sys.executable, str(HELPER)], stdin=subprocess.PIPE, stdout=stdout, stderr=errors,
                            env={**os.environ, "ARROW_DEFAULT_MEMORY_POOL": "system"})
    try:
        proc.stdin.write(json.dumps(plan).encode() + b"\n")
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc


def helper_error(errors) -> str:
    """What the helper wrote to its stderr file ``errors``, on one line."""
    errors.seek(0)
    return " ".join(errors.read().decode(errors="replace").split())[:500]


def write(database: str, steps: Iterable[Step], busy_timeout_s: float, synchronous: bool = True) -> None:
    """Run ``steps`` in order, in one transaction of the SQLite file ``database``: statements as they
    are, frames as rows of their table (the frame's columns that the table has). ``steps`` may be a
    generator that waits for its next step (``staging.Staging``): each is sent once it is there, and
    the transaction commits after the last. An exception raised by ``steps`` rolls it all back.
    ``synchronous=False``: the commit does not wait for the disk (a file that is rebuilt after a
    crash, such as a staging file)."""
    plan = {"database": database, "busy_timeout_ms": int(busy_timeout_s * 1000), "synchronous": synchronous}
    # a synced write's pages go to disk while the helper writes, not all at its checkpoint; an unsynced
    # one (a staging file) is not written by this process either: removed after its publish, most of
    # its pages never reach the disk
    with early_writeback(database if synchronous else None), tempfile.TemporaryFile() as errors:
        proc = start_helper(plan, errors)
        try:
            for step in steps:
                if not isinstance(step, tuple):
                    proc.stdin.write(json.dumps(_statement(step)).encode() + b"\n")
                    continue
                table, frame = step
                columns = written_columns(table, frame)
                if not columns:
                    continue  # nothing to insert
                schema = arrow_schema(table, columns)
                proc.stdin.write(json.dumps({"rows": table.name}).encode() + b"\n")
                # an IPC stream, one message per write: a write releases the GIL once, not once per
                # buffer of the batch, each time waiting for a thread that runs Python meanwhile
                proc.stdin.write(schema.serialize())
                for batch in record_batches(frame, schema):
                    proc.stdin.write(batch.serialize())
                proc.stdin.write(END_OF_STREAM)
            proc.stdin.write(b"commit\n")
            proc.stdin.close()
        except BrokenPipeError:
            pass  # the helper stopped early: its exit code and message tell why
        except BaseException:  # NotConvertible, a failed step source, or this process is being stopped
            proc.kill()  # before it read a commit: its transaction is rolled back
            proc.wait()
            raise
        if proc.wait() != 0:
            raise BulkWriteFailed(f"the SQLite bulk writer failed (exit {proc.returncode}): "
                                  f"{helper_error(errors) or 'no message'}")
