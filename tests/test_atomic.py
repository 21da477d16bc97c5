from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.atomic_files import write_atomic


def test_write_atomic_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.json"
    write_atomic(target, "old")
    write_atomic(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_failed_write_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.json"
    write_atomic(target, "previous")

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "half")
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_killed_writer_leaves_previous_file_intact(tmp_path: Path) -> None:
    """A process killed while it streams a large report never leaves a half-written file."""
    target = tmp_path / "parity-report.json"
    write_atomic(target, '{"previous": true}')
    script = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        import harness.atomic_files as atomic
        real_fdopen = os.fdopen
        class Slow:
            def __init__(self, handle): self.handle = handle
            def __enter__(self): return self
            def __exit__(self, *a): self.handle.close()
            def write(self, data):
                for i in range(0, len(data), 4096):
                    self.handle.write(data[i:i + 4096]); self.handle.flush()
                    if i == 4096 * 4:
                        print("writing", flush=True)
                        import time; time.sleep(60)
            def flush(self): self.handle.flush()
            def fileno(self): return self.handle.fileno()
        atomic.os.fdopen = lambda fd, mode: Slow(real_fdopen(fd, mode))
        atomic.write_atomic(Path({str(target)!r}), "x" * 10_000_000)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(0.05)
    assert target.read_text() == '{"previous": true}'
