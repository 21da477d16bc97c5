"""The four report files are one set: a reader sees the previous complete set or the new one,
never a mix, whether the writer is killed, the disk fills up or a write fails; and a report
dir that cannot be written is refused before any scenario runs.

The writer is exercised through ``write_reports`` with a stand-in renderer, so each file holds
a marker naming its run and the tests say which run every stable path shows.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import harness.report
from harness.errors import ParityInputError
from harness.report import FILE_NAMES, write_reports

ROOT = Path(__file__).resolve().parent.parent
NAMES = tuple(FILE_NAMES.values())
RUNS = ".parity-runs"
State = dict[str, str | None]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the report set relies on POSIX symlinks")


def fake_renderer(fmt: str) -> Callable[[dict[str, Any]], str]:
    # Every file names its format and its run, so a mix of two runs is visible at a glance.
    return lambda document: f"{fmt} {document['marker']}\n" + "x" * int(document.get("size", 0))


@pytest.fixture(autouse=True)
def _fake_renderers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness.report, "renderer", fake_renderer)


def expected(marker: str) -> State:
    return {name: f"{fmt} {marker}\n" for fmt, name in FILE_NAMES.items()}


def state(report_dir: Path) -> State:
    """What a reader sees at each stable path: open() and read, or None when it does not exist."""
    seen: State = {}
    for name in NAMES:
        try:
            with open(report_dir / name, encoding="utf-8") as handle:
                seen[name] = handle.read()
        except FileNotFoundError:
            seen[name] = None
    return seen


def user_files(report_dir: Path) -> dict[str, bytes]:
    """Everything in the report dir that is not the harness's: it must never be touched."""
    found = {}
    for path in sorted(report_dir.rglob("*")):
        relative = path.relative_to(report_dir)
        if relative.parts[0] == RUNS or relative.name in NAMES or path.is_dir():
            continue
        found[str(relative)] = path.read_bytes()
    return found


def run_folders(report_dir: Path) -> list[Path]:
    runs = report_dir / RUNS
    return sorted(p for p in runs.iterdir() if p.is_dir() and not p.is_symlink()) if runs.is_dir() else []


def with_user_files(report_dir: Path) -> None:
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / ".gitkeep").write_text("")
    (report_dir / "screenshots").mkdir()
    (report_dir / "screenshots" / "verdict.png").write_bytes(b"\x89PNG fake")
    (report_dir / "notes.txt").write_text("kept by a person")


# Starting points of the report dir before the second write, each with what a reader sees.
def layout_empty(report_dir: Path) -> None:
    with_user_files(report_dir)


def layout_set(report_dir: Path) -> None:
    with_user_files(report_dir)
    write_reports({"marker": "ONE"}, report_dir)


def layout_regular_files(report_dir: Path) -> None:
    """What an older argo-parity (one atomic file at a time) left behind."""
    with_user_files(report_dir)
    for name, text in expected("ONE").items():
        (report_dir / name).write_text(text)


def layout_rerendered_one(report_dir: Path) -> None:
    """A set, then ``parity report ... -o REPORT_DIR/parity-report.md`` replaced one link."""
    layout_set(report_dir)
    md = report_dir / "parity-report.md"
    md.unlink()
    md.write_text("md by hand\n")


LAYOUTS: dict[str, Callable[[Path], None]] = {
    "empty": layout_empty,
    "set": layout_set,
    "regular-files": layout_regular_files,
    "rerendered-one": layout_rerendered_one,
}


def assert_tidy(report_dir: Path, users: dict[str, bytes]) -> None:
    """Only the stable names, the hidden run folder and the user's own files are there."""
    assert user_files(report_dir) == users
    allowed = {*NAMES, RUNS, ".gitkeep", "screenshots", "notes.txt"}
    assert {p.name for p in report_dir.iterdir()} <= allowed


def assert_recovers(report_dir: Path, users: dict[str, bytes]) -> None:
    write_reports({"marker": "THREE"}, report_dir)
    assert state(report_dir) == expected("THREE")
    assert len(run_folders(report_dir)) <= 2
    assert_tidy(report_dir, users)


# --- the layout on disk -----------------------------------------------------------------------


def test_stable_names_are_relative_links_through_one_current_link(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    paths = write_reports({"marker": "ONE"}, report_dir)
    assert paths == [report_dir / name for name in NAMES]
    for name in NAMES:
        assert os.readlink(report_dir / name) == f"{RUNS}/current/{name}"
    current = os.readlink(report_dir / RUNS / "current")
    assert "/" not in current and (report_dir / RUNS / current).is_dir()
    assert state(report_dir) == expected("ONE")
    # files are for reading by anyone who may read the directory, as open() would have made them
    umask = os.umask(0)
    os.umask(umask)
    for name in NAMES:
        assert (report_dir / name).stat().st_mode & 0o777 == 0o666 & ~umask
    assert (report_dir / RUNS / current).stat().st_mode & 0o777 == 0o777 & ~umask


def test_a_second_run_switches_all_four_and_keeps_only_the_previous_folder(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    layout_set(report_dir)
    users = user_files(report_dir)
    first = (report_dir / RUNS / "current").resolve()
    write_reports({"marker": "TWO"}, report_dir)
    assert state(report_dir) == expected("TWO")
    # a reader that resolved the first run's folder (a browser following links) still finds it whole
    assert {p.name: p.read_text() for p in first.iterdir()} == expected("ONE")
    for marker in ("THREE", "FOUR", "FIVE"):
        write_reports({"marker": marker}, report_dir)
    assert not first.exists()
    folders = run_folders(report_dir)
    assert len(folders) == 2
    assert sorted({p.name: p.read_text() for p in folder.iterdir()}["junit.xml"] for folder in folders) == [
        "junit FIVE\n",
        "junit FOUR\n",
    ]
    assert_tidy(report_dir, users)


def test_files_left_by_an_older_version_become_links_without_a_mix(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    layout_regular_files(report_dir)
    users = user_files(report_dir)
    write_reports({"marker": "TWO"}, report_dir)
    assert state(report_dir) == expected("TWO")
    assert all((report_dir / name).is_symlink() for name in NAMES)
    assert_tidy(report_dir, users)


def test_a_smaller_set_removes_the_names_it_does_not_have(tmp_path: Path) -> None:
    """A set is what one run wrote: a stale junit.xml beside a new JSON would be a mix."""
    report_dir = tmp_path / "reports"
    write_reports({"marker": "ONE"}, report_dir)
    write_reports({"marker": "TWO"}, report_dir, formats=("json", "md"))
    two = expected("TWO")
    assert state(report_dir) == {
        "parity-report.json": two["parity-report.json"],
        "parity-report.md": two["parity-report.md"],
        "parity-report.html": None,
        "junit.xml": None,
    }
    assert not os.path.lexists(report_dir / "junit.xml")


def test_copies_that_follow_or_keep_links_both_hold_the_current_set(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    layout_set(report_dir)
    write_reports({"marker": "TWO"}, report_dir)
    # actions/upload-artifact follows links and, by default, skips hidden names: the four files
    # arrive with the current run's content and neither run folder is uploaded.
    uploaded = tmp_path / "uploaded"
    shutil.copytree(report_dir, uploaded, symlinks=False, ignore=lambda _, names: [n for n in names if n[0] == "."])
    assert state(uploaded) == expected("TWO")
    assert not any(p.is_symlink() for p in uploaded.rglob("*"))
    # cp -a / rsync -a keep the links; they are relative, so the copy works on its own
    kept = tmp_path / "kept"
    shutil.copytree(report_dir, kept, symlinks=True)
    shutil.rmtree(report_dir)
    assert state(kept) == expected("TWO")


# --- killed writers ---------------------------------------------------------------------------

_KILL_AFTER_FIRST_FILE = """
import os, signal, sys
from pathlib import Path
import harness.report
from harness.report import FILE_NAMES, write_reports

report_dir = Path(sys.argv[1])
harness.report.renderer = lambda fmt: (lambda doc: f"{fmt} {doc['marker']}\\n")
second = {name: f"{fmt} TWO\\n" for fmt, name in FILE_NAMES.items()}

def first_file_of_the_second_set_is_written():
    # Any file under the report dir, under a final (not temporary) name, whole: a stable name
    # replaced in place, or a file of a new run folder.
    for folder, _, files in os.walk(report_dir):
        for name in files:
            path = os.path.join(folder, name)
            if name in second and not os.path.islink(path):
                with open(path, encoding="utf-8") as handle:
                    if handle.read() == second[name]:
                        return True
    return False

busy = False
def watch(real):
    def call(*args, **kwargs):
        global busy
        result = real(*args, **kwargs)
        if not busy:
            busy = True
            if first_file_of_the_second_set_is_written():
                print("KILLED", flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
            busy = False
        return result
    return call

for name in ("open", "close", "fsync", "replace", "rename", "link", "symlink", "mkdir", "unlink"):
    setattr(os, name, watch(getattr(os, name)))
write_reports({"marker": "TWO"}, report_dir)
print("FINISHED", flush=True)
"""


@pytest.mark.fault(
    group="errors and reports",
    case="SIGKILL between the report files of a run",
    expected="all four files still show the previous run",
)
@pytest.mark.parametrize("layout", ["set", "regular-files"])
def test_sigkill_after_the_first_file_of_the_second_set_leaves_the_first_set(tmp_path: Path, layout: str) -> None:
    report_dir = tmp_path / "reports"
    LAYOUTS[layout](report_dir)
    users = user_files(report_dir)
    assert state(report_dir) == expected("ONE")
    process = subprocess.run(
        [sys.executable, "-c", _KILL_AFTER_FIRST_FILE, str(report_dir)],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert process.returncode == -signal.SIGKILL, process.stdout + process.stderr
    assert process.stdout.strip() == "KILLED"
    assert state(report_dir) == expected("ONE")
    assert_tidy(report_dir, users)
    write_reports({"marker": "TWO"}, report_dir)
    assert state(report_dir) == expected("TWO")
    assert_recovers(report_dir, users)


# Every call that changes the file system (or makes it durable) is a point where a kill can land.
_STEPS = ("open", "fsync", "replace", "rename", "link", "symlink", "mkdir", "rmdir", "unlink", "chmod")


def _patch_steps(at: int, action: Callable[[], None]) -> None:
    count = 0

    def wrap(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal count
            count += 1
            if count == at:
                action()
            return real(*args, **kwargs)

        return call

    for name in _STEPS:
        setattr(os, name, wrap(getattr(os, name)))


def _kill_at(report_dir: Path, at: int) -> bool:
    """Fork a writer of the second set that SIGKILLs itself just before its ``at``-th step;
    False when it finished before reaching that step."""
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        code = 0
        try:
            _patch_steps(at, lambda: os.kill(os.getpid(), signal.SIGKILL))
            write_reports({"marker": "TWO"}, report_dir)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, "the writer failed without being killed"
    return False


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_sigkill_at_every_step_leaves_one_whole_set(tmp_path: Path, layout: str) -> None:
    checked = 0
    for at in range(1, 500):
        report_dir = tmp_path / f"kill-{at}" / "reports"
        LAYOUTS[layout](report_dir)
        before, users = state(report_dir), user_files(report_dir)
        killed = _kill_at(report_dir, at)
        after = state(report_dir)
        assert after in (before, expected("TWO")), f"killed before step {at}: {after}"
        assert_tidy(report_dir, users)
        assert_recovers(report_dir, users)
        if not killed:
            assert after == expected("TWO")
            break
        checked += 1
    assert checked > 5


# --- failed writes ----------------------------------------------------------------------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_failure_at_any_step_keeps_the_previous_set_and_says_so(
    tmp_path: Path, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.report import ReportWriteError

    failures = 0
    for at in range(1, 500):
        report_dir = tmp_path / f"fail-{at}" / "reports"
        LAYOUTS[layout](report_dir)
        before, users = state(report_dir), user_files(report_dir)

        def disk_full() -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        with monkeypatch.context() as patch:
            for name in _STEPS:
                patch.setattr(os, name, getattr(os, name))  # restored when the context ends
            _patch_steps(at, disk_full)
            error: ReportWriteError | None = None
            try:
                write_reports({"marker": "TWO"}, report_dir)
            except ReportWriteError as exc:
                error = exc
        if error is not None:
            failures += 1
            message = str(error)
            assert state(report_dir) == before, f"failed at step {at}"
            assert message.startswith(f"reports not written to {report_dir}: No space left on device;"), message
            assert "\n" not in message
            assert error.errno == errno.ENOSPC
            assert error.exit_code == 3
        else:
            # the only failures that do not fail the write come after the switch: tidying up
            assert state(report_dir) == expected("TWO"), f"step {at}"
        assert_tidy(report_dir, users)
        assert_recovers(report_dir, users)
        if error is None and at > 60:
            break
    assert failures > 5


def test_disk_full_mid_set_raises_a_report_write_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The symptom: JSON already NOT READY while HTML and JUnit still said READY."""
    from harness.report import ReportWriteError

    report_dir = tmp_path / "reports"
    layout_set(report_dir)
    real_fsync, calls = os.fsync, []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 3:  # the second file's data: the first has already been written
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(ReportWriteError) as caught:
        write_reports({"marker": "TWO"}, report_dir)
    assert str(caught.value) == (
        f"reports not written to {report_dir}: No space left on device; the previous reports there are unchanged"
    )
    assert isinstance(caught.value, OSError)
    assert caught.value.report_dir == report_dir
    assert state(report_dir) == expected("ONE")
    assert len(run_folders(report_dir)) == 1  # the half-written run is gone: its space is free again


def test_a_failure_with_no_previous_reports_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.report import ReportWriteError

    report_dir = tmp_path / "reports"
    real_replace = os.replace

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        if str(dst).endswith(f"{RUNS}/current"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(ReportWriteError, match=r"^reports not written to .*: Input/output error; nothing was changed"):
        write_reports({"marker": "ONE"}, report_dir)
    assert state(report_dir) == dict.fromkeys(NAMES)
    assert [p.name for p in report_dir.iterdir()] in ([], [RUNS])
    assert run_folders(report_dir) == []


def _mount_tmpfs(mount: Path, size: str) -> None:
    """A tmpfs of ``size`` at ``mount``, or skip: it needs root on Linux and mount(8)."""
    mount.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root on Linux")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs: a disk that really fills up."""
    mount = tmp_path / "tmpfs"
    _mount_tmpfs(mount, "256k")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.fault(
    group="errors and reports",
    case="the disk fills up while the reports are written",
    expected="the previous set is whole; one line says nothing changed; exit 3",
)
def test_a_really_full_disk_keeps_the_previous_set(tiny_tmpfs: Path) -> None:
    from harness.report import ReportWriteError

    report_dir = tiny_tmpfs / "reports"
    layout_set(report_dir)
    users = user_files(report_dir)
    with pytest.raises(ReportWriteError, match="No space left on device; the previous reports there are unchanged"):
        write_reports({"marker": "TWO", "size": 100_000}, report_dir)
    assert state(report_dir) == expected("ONE")
    assert_tidy(report_dir, users)
    # the failed run's files were removed, so a run that fits is written
    assert_recovers(report_dir, users)


# --- without symlinks ------------------------------------------------------------------------


def _no_symlinks(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")  # what vfat, for one, answers

    monkeypatch.setattr(os, "symlink", refuse)


def test_without_symlinks_plain_files_are_written_json_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.report._set as report_set

    report_dir = tmp_path / "reports"
    with_user_files(report_dir)
    users = user_files(report_dir)
    _no_symlinks(monkeypatch)
    order: list[str] = []
    real = report_set.write_atomic
    monkeypatch.setattr(report_set, "write_atomic", lambda path, text: (order.append(path.name), real(path, text)))
    paths = write_reports({"marker": "ONE"}, report_dir)
    assert paths == [report_dir / name for name in NAMES]
    assert order[-1] == "parity-report.json" and sorted(order) == sorted(NAMES)
    assert state(report_dir) == expected("ONE")
    assert not any((report_dir / name).is_symlink() for name in NAMES)
    assert not (report_dir / RUNS).exists()
    assert_tidy(report_dir, users)


def test_without_symlinks_a_failed_write_leaves_the_previous_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness.report._set as report_set
    from harness.report import ReportWriteError

    report_dir = tmp_path / "reports"
    _no_symlinks(monkeypatch)
    write_reports({"marker": "ONE"}, report_dir)
    real = report_set.write_atomic

    def full_after_one(path: Path, text: str | bytes) -> None:
        if path.name != "parity-report.md":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, text)

    monkeypatch.setattr(report_set, "write_atomic", full_after_one)
    with pytest.raises(ReportWriteError) as caught:
        write_reports({"marker": "TWO"}, report_dir)
    assert "parity-report.json" in str(caught.value) and "\n" not in str(caught.value)
    assert state(report_dir)["parity-report.json"] == "json ONE\n"


def test_windows_writes_plain_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    report_dir = tmp_path / "reports"
    write_reports({"marker": "ONE"}, report_dir)
    assert state(report_dir) == expected("ONE")
    assert sorted(p.name for p in report_dir.iterdir()) == sorted(NAMES)


# --- the report dir is checked before the run -------------------------------------------------


def _check(path: Path) -> ParityInputError:
    from harness.report import check_report_dir

    with pytest.raises(ParityInputError) as caught:
        check_report_dir(path)
    error = caught.value
    assert error.file == str(path) and error.field == "--report-dir"
    assert "\n" not in str(error)
    return error


def test_check_creates_a_missing_dir_and_leaves_no_trace(tmp_path: Path) -> None:
    from harness.report import check_report_dir

    report_dir = tmp_path / "a" / "b" / "reports"
    check_report_dir(report_dir)
    assert report_dir.is_dir() and list(report_dir.iterdir()) == []
    with_user_files(report_dir)
    write_reports({"marker": "ONE"}, report_dir)
    listing = sorted(p.name for p in report_dir.iterdir())
    runs = sorted(p.name for p in (report_dir / RUNS).iterdir())
    check_report_dir(report_dir)
    assert sorted(p.name for p in report_dir.iterdir()) == listing
    assert sorted(p.name for p in (report_dir / RUNS).iterdir()) == runs


def test_check_refuses_a_file(tmp_path: Path) -> None:
    path = tmp_path / "reports"
    path.write_text("not a dir")
    assert _check(path).message == "not a directory"


def test_check_refuses_a_path_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "x"
    blocker.write_text("")
    assert _check(blocker / "deeper" / "reports").message == f"lies under a file '{blocker}'"


def test_check_refuses_a_broken_link(tmp_path: Path) -> None:
    path = tmp_path / "reports"
    path.symlink_to(tmp_path / "gone")
    assert _check(path).message == "is a broken symbolic link"


def test_check_refuses_what_would_block_the_set(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    (report_dir / "parity-report.html").mkdir(parents=True)
    assert _check(report_dir).message == "'parity-report.html' in it is a directory"
    shutil.rmtree(report_dir / "parity-report.html")
    (report_dir / RUNS).write_text("")
    assert _check(report_dir).message == f"'{RUNS}' in it is not a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a mode 0o555 directory")
def test_check_refuses_a_dir_without_write_permission(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    report_dir.mkdir()
    report_dir.chmod(0o555)
    try:
        assert _check(report_dir).message == "not writable (permission denied)"
    finally:
        report_dir.chmod(0o755)


@pytest.fixture
def read_only_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A read-only file system: what even root cannot write."""
    mount = tmp_path / "ro"
    _mount_tmpfs(mount, "64k")
    try:
        (mount / "reports").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.fault(
    group="errors and reports",
    case="--report-dir on a read-only file system",
    expected="refused before the run, one line",
)
def test_check_refuses_a_read_only_file_system(read_only_tmpfs: Path) -> None:
    assert _check(read_only_tmpfs / "reports").message == "not writable (read-only file system)"
    assert _check(read_only_tmpfs / "new" / "reports").message == "not writable (read-only file system)"


def test_a_read_only_report_dir_fails_the_write_with_one_line(read_only_tmpfs: Path) -> None:
    from harness.report import ReportWriteError

    with pytest.raises(ReportWriteError, match=r"^reports not written to .*: Read-only file system"):
        write_reports({"marker": "ONE"}, read_only_tmpfs / "reports")
