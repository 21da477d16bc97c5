"""The report files of one run, published as one set.

Replacing each file atomically is not enough: a run killed (or out of disk) between two files
leaves ``parity-report.json`` saying NOT READY beside an HTML report and a ``junit.xml`` that
still say READY. So a run's files are written into a fresh hidden folder and published by
switching one symbolic link::

    REPORT_DIR/
      parity-report.json -> .parity-runs/current/parity-report.json     (made once, relative)
      parity-report.md   -> .parity-runs/current/parity-report.md
      parity-report.html -> .parity-runs/current/parity-report.html
      junit.xml          -> .parity-runs/current/junit.xml
      .parity-runs/
        current -> run-20250102T030405Z-k2j4       (the one switch: os.replace of a new link)
        run-20250102T030405Z-k2j4/                 (this run's complete set, fsynced)
        run-20250101T222222Z-8a7q/                 (the previous set, kept for open readers)
        lock
      .gitkeep, screenshots/ ...                   (anything else is never touched)

A path is resolved one component at a time, each atomically, so whoever opens a stable name
reads a file of the previous set or of the new one; the JSON alone needs no special order. A
reader that opens several of the files while a write is in progress may still get two runs;
one that needs the four from the same run resolves ``.parity-runs/current`` once (``realpath``)
and reads from that folder, which stays whole until the run after next.

Readers and tools: ``open()``, ``cat``, browsers and ``parity report`` follow the links.
``actions/upload-artifact`` follows links (it stats with ``followSymbolicLinks``, default true)
and skips hidden names unless ``include-hidden-files: true`` (v4.4 and later), so uploading
``REPORT_DIR`` yields the four files with the current content and none of ``.parity-runs``.
``cp -a``, ``rsync -a`` and ``tar`` keep links as links; they are relative, so a copy of the
whole directory stays valid (``tar -h`` or ``cp -L`` flattens them).

Where symbolic links cannot be made (Windows, where creating one needs a privilege or
developer mode and replacing a directory link is not an atomic rename; file systems such as
vfat), each file is replaced atomically on its own with the JSON last: once the JSON shows the
new run, so does every other file, but an interrupted write can leave the others ahead of it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from harness.atomic_files import current_umask, fsync_directory, write_atomic
from harness.errors import ParityInputError
from harness.phases import Verdict

RUNS_DIR = ".parity-runs"
_CURRENT = "current"
_LOCK = "lock"
_RUN_PREFIX = "run-"
# Temporary links are made inside RUNS_DIR and renamed into place, so a killed run never
# leaves anything in the part of the report dir that people and upload steps look at.
_TMP_PREFIX = ".tmp-"
# What a file system says when it cannot make symbolic links at all (vfat answers EPERM).
_NO_SYMLINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}
# Errors where the file that failed says nothing useful: the whole disk is the problem.
_DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT}


class ReportWriteError(OSError):
    """The reports could not be written (disk full, read-only, I/O error): the run's evidence
    was not delivered. ``str()`` is one line for the CLI; ``exit_code`` is INCONCLUSIVE's.

    A subclass of OSError so that code which already caught write failures keeps working.
    """

    exit_code = Verdict.INCONCLUSIVE.exit_code

    def __init__(self, message: str, report_dir: Path, error_number: int | None = None) -> None:
        super().__init__(error_number, message)
        self.message = message
        self.report_dir = report_dir

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[ReportWriteError], tuple[str, Path, int | None]]:
        # OSError pickles its (errno, strerror) args, which do not fit this constructor.
        return (type(self), (self.message, self.report_dir, self.errno))


def write_report_set(report_dir: Path, files: Mapping[str, str | bytes], managed: Iterable[str]) -> list[Path]:
    """Publish ``files`` (name -> content) as the report set of ``report_dir`` and return their
    stable paths. ``managed`` are all the names a set may have; those this set lacks are removed
    once it is published, so that no file of an older run stays beside it.

    Raises ReportWriteError, with the previous set still in place, when anything fails before
    the switch; nothing after it can make the new set incomplete.
    """
    managed = list(dict.fromkeys([*managed, *files]))
    if sys.platform == "win32":
        return _write_plain(report_dir, files)
    runs = report_dir / RUNS_DIR
    try:
        if os.path.exists(report_dir) and not os.path.isdir(report_dir):
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        report_dir.mkdir(parents=True, exist_ok=True)
        runs_existed = os.path.lexists(runs)
        runs.mkdir(exist_ok=True)
        if not _symlinks_supported(runs):
            if not runs_existed:
                with contextlib.suppress(OSError):
                    runs.rmdir()
            return _write_plain(report_dir, files)
        lock = os.open(runs / _LOCK, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        raise _write_error(report_dir, exc, previous=_has_reports(report_dir, managed)) from exc
    with _locked(lock):
        _Publication(report_dir, runs, files, managed).run()
    return [report_dir / name for name in files]


class _Publication:
    """One write of a set, under the lock. Remembers what it created so that a failure before
    the switch can take it all back (a half-written run folder would hold the disk space that
    just ran out)."""

    def __init__(self, report_dir: Path, runs: Path, files: Mapping[str, str | bytes], managed: list[str]) -> None:
        self.report_dir = report_dir
        self.runs = runs
        self.files = files
        self.managed = managed
        self.created_folders: list[Path] = []
        self.created_links: list[Path] = []

    def run(self) -> None:
        previous = _current_target(self.runs)
        had_reports = _has_reports(self.report_dir, self.managed)
        try:
            # Runs older than the current one go first: nobody is still reading them, and on a
            # nearly full disk their space is what this run needs.
            _prune(self.runs, keep={previous})
            if any(not self._is_our_link(name) and os.path.lexists(self.report_dir / name) for name in self.managed):
                previous = self._adopt_what_readers_see()
            new = self._write_run_folder()
            for name in self.files:
                # Before the switch a new name's link dangles (the name did not exist before
                # and still does not); after it, the whole set appears at once.
                if not self._is_our_link(name):
                    self._link_stable_name(name)
                    self.created_links.append(self.report_dir / name)
            fsync_directory(self.report_dir)
            _switch(self.runs, new)  # the commit point
        except BaseException as exc:
            self._undo()
            if isinstance(exc, OSError):
                raise _write_error(self.report_dir, exc, previous=had_reports) from exc
            raise
        # Published. What follows only tidies up; a failure here leaves the new set whole.
        for name in self.managed:
            if name not in self.files and self._is_our_link(name):
                with contextlib.suppress(OSError):
                    os.unlink(self.report_dir / name)
        _prune(self.runs, keep={new, previous})

    def _is_our_link(self, name: str) -> bool:
        try:
            return os.readlink(self.report_dir / name) == _link_target(name)
        except OSError:  # missing, or not a link
            return False

    def _adopt_what_readers_see(self) -> str:
        """Turn stable names that are not yet our links (regular files from an older version,
        one replaced by ``parity report -o``) into links, without changing what any reader sees:
        copy what each name shows into a run folder, point ``current`` at it, then replace each
        name by a link to identical content."""
        folder = self._new_folder()
        for name in self.managed:
            path = self.report_dir / name
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
            if path.is_file():
                _hard_link_or_copy(Path(os.path.realpath(path)), folder / name)
        fsync_directory(folder)
        fsync_directory(self.runs)
        _switch(self.runs, folder.name)
        for name in self.managed:
            if os.path.lexists(self.report_dir / name) and not self._is_our_link(name):
                self._link_stable_name(name)
        return folder.name

    def _write_run_folder(self) -> str:
        folder = self._new_folder()
        for name, content in self.files.items():
            _write_new_file(folder / name, content)
        fsync_directory(folder)
        fsync_directory(self.runs)  # the folder's own entry, before a link points at it
        return folder.name

    def _new_folder(self) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        folder = Path(tempfile.mkdtemp(prefix=f"{_RUN_PREFIX}{stamp}-", dir=self.runs))
        self.created_folders.append(folder)
        # mkdtemp makes 0700; reports are for whoever may read the report dir.
        os.chmod(folder, 0o777 & ~current_umask())
        return folder

    def _link_stable_name(self, name: str) -> None:
        _replace_with_link(self.runs, self.report_dir / name, _link_target(name))

    def _undo(self) -> None:
        # Only names that did not exist before get links here, so removing them restores the
        # previous state; adopted names keep their links, which show the same content.
        for link in self.created_links:
            with contextlib.suppress(OSError):
                os.unlink(link)
        current = _current_target(self.runs)
        for folder in self.created_folders:
            if folder.name != current:
                shutil.rmtree(folder, ignore_errors=True)


def _link_target(name: str) -> str:
    # Relative, so that the report dir can be moved or copied with its links.
    return f"{RUNS_DIR}/{_CURRENT}/{name}"


def _switch(runs: Path, folder_name: str) -> None:
    _replace_with_link(runs, runs / _CURRENT, folder_name)
    fsync_directory(runs)


def _replace_with_link(runs: Path, path: Path, target: str) -> None:
    """Make ``path`` a symbolic link to ``target`` in one rename, whatever it was before (a
    file or another link): readers see the old entry or the new one."""
    while True:
        temporary = runs / f"{_TMP_PREFIX}{secrets.token_hex(8)}"
        try:
            os.symlink(target, temporary)
            break
        except FileExistsError:
            continue
    try:
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _write_new_file(path: Path, content: str | bytes) -> None:
    """Write a file that nobody can see yet (its folder is not published), so no temporary
    name is needed; O_EXCL because the folder is ours alone."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        handle = os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _hard_link_or_copy(source: Path, destination: Path) -> None:
    # A hard link costs no space, which matters when the disk is nearly full; not every file
    # system has them.
    try:
        os.link(source, destination)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO):
            raise
        _write_new_file(destination, source.read_bytes())


def _current_target(runs: Path) -> str | None:
    try:
        target = os.readlink(runs / _CURRENT)
    except OSError:
        return None
    return target if target and os.sep not in target and target not in (".", "..") else None


def _has_reports(report_dir: Path, names: Iterable[str]) -> bool:
    return any((report_dir / name).exists() for name in names)


def _prune(runs: Path, keep: set[str | None]) -> None:
    """Remove run folders not in ``keep`` and temporary links: all that a killed or failed run
    can leave. Best effort: a folder that cannot be removed now is removed next time."""
    try:
        entries = list(os.scandir(runs))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(_TMP_PREFIX) and not entry.is_dir(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
        elif entry.name.startswith(_RUN_PREFIX) and entry.name not in keep and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)


def _symlinks_supported(runs: Path) -> bool:
    if os.path.islink(runs / _CURRENT):
        return True
    probe = runs / f"{_TMP_PREFIX}probe-{secrets.token_hex(8)}"
    try:
        os.symlink(_CURRENT, probe)
    except OSError as exc:
        if exc.errno in _NO_SYMLINKS:
            return False
        raise
    with contextlib.suppress(OSError):  # a leftover probe is pruned by the next write
        os.unlink(probe)
    return True


@contextlib.contextmanager
def _locked(fd: int) -> Iterator[None]:
    """Serialise writers of one report dir (two CI jobs sharing a workspace): each prunes the
    folders it does not know, which must never be another writer's unfinished run. The kernel
    drops the lock of a killed writer. Closes ``fd``."""
    try:
        if sys.platform != "win32":
            import fcntl

            with contextlib.suppress(OSError):  # no locks (some network file systems): write anyway
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_plain(report_dir: Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Without symbolic links: each file atomically, in the given order (the JSON last)."""
    written: list[str] = []
    previous = _has_reports(report_dir, files)
    for name, content in files.items():
        try:
            write_atomic(report_dir / name, content)
        except OSError as exc:
            if not written:
                raise _write_error(report_dir, exc, previous=previous) from exc
            rest = [n for n in files if n not in written]
            message = (
                f"reports only partly written to {report_dir}: {_reason(report_dir, exc)}; "
                f"{', '.join(written)} from this run, {', '.join(rest)} still from the previous one"
            )
            raise ReportWriteError(message, report_dir, exc.errno) from exc
        written.append(name)
    return [report_dir / name for name in files]


def _write_error(report_dir: Path, exc: OSError, *, previous: bool) -> ReportWriteError:
    kept = "the previous reports there are unchanged" if previous else "nothing was changed there"
    return ReportWriteError(
        f"reports not written to {report_dir}: {_reason(report_dir, exc)}; {kept}", report_dir, exc.errno
    )


def _reason(report_dir: Path, exc: OSError) -> str:
    text = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno in _DISK_ERRORS or not exc.filename:
        return text
    where = os.fsdecode(exc.filename)
    with contextlib.suppress(ValueError):  # ValueError: another drive on Windows
        relative = os.path.relpath(where, report_dir)
        if relative == os.curdir:
            return text
        if not relative.startswith(os.pardir):
            where = relative
    return f"{text} ('{where}')"


# --- before the run ------------------------------------------------------------------------


def check_report_dir(path: Path) -> None:
    """Make sure the reports can be written to ``path`` before any scenario runs: create it if
    missing, then really create and remove a file there (permission bits do not bind root, a
    read-only mount binds everyone). Raises ParityInputError for ``--report-dir`` with a
    one-line reason. A full disk is only found when the reports are written (ReportWriteError).
    """

    def refuse(message: str) -> ParityInputError:
        return ParityInputError(message, file=str(path), field="--report-dir")

    try:
        if os.path.lexists(path) and not path.exists():
            raise refuse("is a broken symbolic link")
        if path.exists() and not path.is_dir():
            raise refuse("not a directory")
        blocker = _file_above(path)
        if blocker is not None:
            raise refuse(f"lies under a file '{blocker}'")
        path.mkdir(parents=True, exist_ok=True)
        _probe_writable(path)
        runs = path / RUNS_DIR
        if os.path.lexists(runs):
            if not runs.is_dir():
                raise refuse(f"'{RUNS_DIR}' in it is not a directory")
            _probe_writable(runs)
        from harness.report import FILE_NAMES

        for name in FILE_NAMES.values():
            if (path / name).is_dir():
                raise refuse(f"'{name}' in it is a directory")
    except ParityInputError:
        raise
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            blocker = _file_above(path)
            raise refuse(f"lies under a file '{blocker}'" if blocker else "not a directory") from None
        raise refuse(_not_writable(exc)) from None


def _file_above(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` when it is not a directory."""
    for parent in path.parents:
        if os.path.lexists(parent):
            return None if parent.is_dir() else parent
    return None


def _probe_writable(folder: Path) -> None:
    fd, name = tempfile.mkstemp(prefix=".parity-check-", dir=folder)
    os.close(fd)
    os.unlink(name)


def _not_writable(exc: OSError) -> str:
    reasons = {
        errno.EROFS: "read-only file system",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOSPC: "no space left on device",
        errno.EDQUOT: "disk quota exceeded",
    }
    reason = reasons.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()
    return f"not writable ({reason})"
