"""Early writeback of a SQLite transaction (``writeback.early_writeback``): while the block runs, the
database file's and its write-ahead log's pages are handed to the disk; the files it opened are
closed after; without a SQLite file nothing is started."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from crm_pipelines.warehouse import writeback
from crm_pipelines.warehouse.engine import make_engine, sqlite_file


class _Recorder:
    """Stands in for ``sync_file_range``: which file (by path) was asked, with which flags."""

    def __init__(self):
        self.calls: list[tuple[str, int, int, int]] = []
        self.fds: set[int] = set()

    def __call__(self, fd, offset, nbytes, flags):
        self.fds.add(fd)
        self.calls.append((os.readlink(f"/proc/self/fd/{fd}"), offset, nbytes, flags))
        return 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_a_transaction_has_its_log_and_file_written_while_it_runs(tmp_path, monkeypatch):
    recorder = _Recorder()
    monkeypatch.setattr(writeback, "_START_WRITES", recorder)
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    database = sqlite_file(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x TEXT)")
    with writeback.early_writeback(database, interval_s=0.01), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t VALUES (:x)"), [{"x": "v" * 500}] * 2000)
        deadline = time.monotonic() + 5
        while len({c[0] for c in recorder.calls}) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    asked = {path for path, *_ in recorder.calls}
    assert asked == {os.path.realpath(database), os.path.realpath(database) + "-wal"}
    assert {(offset, nbytes, flags) for _, offset, nbytes, flags in recorder.calls} == {
        (0, 0, writeback.SYNC_FILE_RANGE_WRITE)}  # the whole file, start the writes, do not wait
    for fd in recorder.fds:  # closed when the block ended
        with pytest.raises(OSError):
            os.fstat(fd)
    assert not [t for t in threading.enumerate() if t.name == "sqlite-writeback"]
    with engine.connect() as conn:  # the transaction itself is untouched
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 2000
    engine.dispose()


def test_nothing_is_started_without_a_sqlite_file(monkeypatch):
    recorder = _Recorder()
    monkeypatch.setattr(writeback, "_START_WRITES", recorder)
    before = threading.active_count()
    with writeback.early_writeback(None, interval_s=0.01):
        assert threading.active_count() == before
        time.sleep(0.05)
    assert recorder.calls == []
    assert sqlite_file(make_engine("sqlite://")) is None  # an in-memory warehouse has no file to write


def test_an_error_in_the_block_stops_the_thread_and_is_raised(tmp_path, monkeypatch):
    monkeypatch.setattr(writeback, "_START_WRITES", _Recorder())
    with pytest.raises(RuntimeError, match="boom"):
        with writeback.early_writeback(str(tmp_path / "w.sqlite"), interval_s=0.01):
            raise RuntimeError("boom")
    assert not [t for t in threading.enumerate() if t.name == "sqlite-writeback"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sync_file_range is Linux's")
def test_the_system_call_is_found_and_accepts_real_files(tmp_path):
    path = tmp_path / "dirty.bin"
    path.write_bytes(os.urandom(1 << 20))
    fds: dict[str, int] = {}
    try:
        assert writeback.start_writes(fds, (str(path), str(tmp_path / "missing"))) == 1
        assert list(fds) == [str(path)]
    finally:
        for fd in fds.values():
            os.close(fd)
