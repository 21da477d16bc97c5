"""One program in a bubblewrap sandbox, supervised to its deadline, leaving nothing behind.

The sandbox (``bwrap``): new user, PID, mount, network, IPC, UTS and cgroup namespaces
(``--unshare-all``), the network never shared back (``--share-net`` would give the pod the host's
loopback and every address this machine reaches: a pod that installs packages gets a unix socket
bound in instead, the package index proxy of ``index_proxy``); every capability dropped; no
nested user namespaces; the host's ``/usr`` and a short list of ``/etc`` files read-only; a
read-only root; private, size-limited ``/tmp``, ``/var/tmp``, ``/root`` and ``/run``; only the
binds asked for; an environment of exactly the variables given.

The end: the supervisor reads stdout and stderr as they come into capped buffers, and at the
deadline SIGKILLs the sandbox's process group. bwrap's init is PID 1 of the sandbox, and it dies
with its parent (``--die-with-parent``), taking every process of the namespace with it, daemons
and fork bombs included; the pids cgroup bounds a fork bomb before that and is emptied again as a
second line. The outer process dies with the harness (``setpriv --pdeathsig``), so even a killed
harness leaves no sandbox running.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import os
import selectors
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.execute.local.cgroup import PidsCgroup
from harness.execute.output import CappedOutput
from harness.execute.pods import Mount
from harness.execute.result import Output
from harness.spec.naming import pod_hostname

# /etc entries a program in the python image can rely on. The rest of the host's /etc (shadow,
# private keys, the host's pip and uv configuration, credentials) stays out.
ETC_ENTRIES = (
    "passwd",
    "group",
    "nsswitch.conf",
    "host.conf",
    "gai.conf",
    "hosts",
    "resolv.conf",
    "localtime",
    "timezone",
    "ssl/certs",  # not /etc/ssl/private: the host's private keys stay out
    "ssl/openssl.cnf",
    "ca-certificates",
    "ca-certificates.conf",
    "alternatives",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "os-release",
    "debian_version",
    "mime.types",
    "protocols",
    "services",
    "inputrc",
    "python3",
    "python3.11",
    "python3.12",
    "python3.13",
    "bash.bashrc",
    "profile",
)
# Top-level directories of a Debian image, so `ls /` and programs that expect them see them.
ROOT_DIRS = ("home", "mnt", "media", "opt", "srv", "var", "boot")
_MERGED_USR = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_KILL_GRACE_S = 5.0
_READ_CHUNK = 65536


@dataclass(frozen=True)
class SandboxConfig:
    bwrap: str
    output_cap: int
    pids_limit: int
    tmpfs_size: int  # bytes, for each of /tmp, /var/tmp, /root, /run
    setpriv: str | None = None
    # Options of newer bubblewrap releases this one has (0.8 in Debian bookworm has both).
    features: frozenset[str] = frozenset({"--disable-userns", "--size"})


@dataclass(frozen=True)
class SandboxRequest:
    argv: Sequence[str]
    env: Mapping[str, str]
    hostname: str
    working_dir: str
    binds: Sequence[Mount] = ()  # host paths bound in
    deadline_s: float = 600.0
    make_dirs: Sequence[str] = ()  # created empty inside the sandbox (a working dir no image has)


@dataclass(frozen=True)
class SandboxResult:
    exit_code: int | None
    stdout: Output
    stderr: Output
    duration_s: float
    timed_out: bool = False
    error: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def bwrap_argv(request: SandboxRequest, config: SandboxConfig, status_fd: int) -> list[str]:
    argv = [config.bwrap, "--unshare-all", "--unshare-user"]
    if "--disable-userns" in config.features:
        argv.append("--disable-userns")
    argv += ["--die-with-parent", "--new-session", "--cap-drop", "ALL", "--uid", "0", "--gid", "0"]
    argv += ["--hostname", pod_hostname(request.hostname) or "pod"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for name in _MERGED_USR:
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), f"/{name}"]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), f"/{name}"]
    argv += ["--ro-bind", str(sandbox_etc()), "/etc"]
    for name in ROOT_DIRS:
        argv += ["--perms", "0755", "--dir", f"/{name}"]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    for tmpfs, perms in (("/tmp", "1777"), ("/var/tmp", "1777"), ("/root", "0700"), ("/run", "0755")):
        size = ["--size", str(config.tmpfs_size)] if "--size" in config.features else []
        argv += ["--perms", perms, *size, "--tmpfs", tmpfs]
    for bind in request.binds:
        argv += ["--ro-bind" if bind.read_only else "--bind", str(bind.host_path), bind.container_path]
    for directory in request.make_dirs:
        argv += ["--dir", directory]
    argv += ["--chdir", request.working_dir, "--remount-ro", "/", "--json-status-fd", str(status_fd), "--"]
    return argv + list(request.argv)


_etc_lock = threading.Lock()
_etc_dirs: dict[str, Path] = {}


def sandbox_etc() -> Path:
    """A copy of the allowed /etc entries, bound read-only as the sandbox's /etc (one mount instead
    of one per entry: 3-4 ms less per pod). Symlinks stay links; their targets are under /usr, which
    every sandbox sees. The copy is keyed by the entries' sizes and times, so it is made once per
    state of /etc and shared by every process of this user (no cleanup needed, none leaks)."""
    stamp = hashlib.sha256()
    for entry in (*ETC_ENTRIES, "ssl/certs/ca-certificates.crt"):  # the bundle changes in place
        try:
            info = (Path("/etc") / entry).lstat()
        except OSError:
            continue
        stamp.update(f"{entry}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino};".encode())
    key = stamp.hexdigest()[:16]
    with _etc_lock:
        if key not in _etc_dirs:
            _etc_dirs[key] = _make_etc(Path(tempfile.gettempdir()) / f"argo-parity-etc-{os.getuid()}-{key}")
        return _etc_dirs[key]


def _make_etc(final: Path) -> Path:
    if _trusted(final):
        return final
    staging = Path(tempfile.mkdtemp(prefix=f"{final.name}.", dir=final.parent))
    staging.chmod(0o755)
    for entry in ETC_ENTRIES:
        _copy_entry(Path("/etc") / entry, staging / entry)
    try:
        staging.rename(final)  # atomic; another process may have won the race
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not _trusted(final):  # someone else's directory at our name: keep a private copy instead
            private = Path(tempfile.mkdtemp(prefix="argo-parity-etc-"))
            for entry in ETC_ENTRIES:
                _copy_entry(Path("/etc") / entry, private / entry)
            atexit.register(shutil.rmtree, private, True)
            return private
    return final


def _trusted(path: Path) -> bool:
    """Ours and writable by nobody else: its content can be bound as the sandbox's /etc."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


def _copy_entry(source: Path, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        elif source.is_dir():
            shutil.copytree(source, target, symlinks=True)
        elif source.is_file():
            shutil.copy2(source, target)
    except OSError:
        pass  # unreadable or vanished: the sandbox goes without it, as it would without the bind


def run_sandboxed(request: SandboxRequest, config: SandboxConfig) -> SandboxResult:
    """Run ``request.argv`` in a new sandbox; never raises for what the program does."""
    cgroup = PidsCgroup.create(config.pids_limit) if config.pids_limit > 0 else None
    notes: tuple[str, ...] = ()
    if cgroup is None:
        why = "pids_limit=0" if config.pids_limit <= 0 else "no writable cgroup pids controller on this machine"
        notes = (f"no pids limit: {why}",)
    status_read, status_write = os.pipe()
    command = bwrap_argv(request, config, status_write)
    if config.setpriv:
        command = [config.setpriv, "--pdeathsig", "KILL", "--", *command]
    if cgroup:
        # The sandbox joins its cgroup before bwrap starts, so no process escapes the limit.
        command = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(cgroup.procs_file), *command]
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(request.env),
            pass_fds=(status_write,),
            start_new_session=True,
            cwd="/",
        )
    except OSError as exc:
        os.close(status_read)
        os.close(status_write)
        if cgroup:
            cgroup.remove()
        return SandboxResult(None, Output(), Output(), 0.0, error=f"cannot start bwrap: {exc}", notes=notes)
    os.close(status_write)
    stdout, stderr = CappedOutput(config.output_cap), CappedOutput(config.output_cap)
    status = bytearray()
    timed_out = False
    try:
        timed_out = _supervise(process, stdout, stderr, status, status_read, started + request.deadline_s, cgroup)
    finally:
        _end(process, cgroup)
        os.close(status_read)
    duration = time.monotonic() - started
    events = _status_events(bytes(status))
    if "child-pid" not in events:
        message = stderr.result().text.strip() or f"bwrap exited with {process.returncode}"
        return SandboxResult(None, stdout.result(), stderr.result(), duration, error=message, notes=notes)
    exit_code = None if timed_out else events.get("exit-code", process.returncode)
    return SandboxResult(exit_code, stdout.result(), stderr.result(), duration, timed_out=timed_out, notes=notes)


def _supervise(
    process: subprocess.Popen[bytes],
    stdout: CappedOutput,
    stderr: CappedOutput,
    status: bytearray,
    status_fd: int,
    deadline: float,
    cgroup: PidsCgroup | None,
) -> bool:
    """Drain the streams until they close; kill everything at the deadline. True when it had to."""
    assert process.stdout is not None and process.stderr is not None
    sinks: dict[int, CappedOutput | bytearray] = {
        process.stdout.fileno(): stdout,
        process.stderr.fileno(): stderr,
        status_fd: status,
    }
    timed_out = False
    give_up = float("inf")
    with selectors.DefaultSelector() as selector:
        for fd in sinks:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            now = time.monotonic()
            if not timed_out and now >= deadline:
                timed_out = True
                _kill(process, cgroup)
                give_up = now + _KILL_GRACE_S
            if now >= give_up:
                break  # something outside the sandbox holds a pipe open: stop waiting for it
            timeout = (deadline if not timed_out else give_up) - now
            for key, _ in selector.select(max(0.0, min(timeout, 1.0))):
                fd = int(key.fd)
                data = os.read(fd, _READ_CHUNK)
                if not data:
                    selector.unregister(fd)
                    continue
                sink = sinks[fd]
                if isinstance(sink, bytearray):
                    sink += data
                else:
                    sink.write(data)
    return timed_out


def _kill(process: subprocess.Popen[bytes], cgroup: PidsCgroup | None) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if cgroup:
        cgroup.kill_all()


def _end(process: subprocess.Popen[bytes], cgroup: PidsCgroup | None) -> None:
    """Whatever happened, no process of this sandbox outlives the call."""
    try:
        process.wait(timeout=_KILL_GRACE_S)
    except subprocess.TimeoutExpired:
        _kill(process, cgroup)  # only ever signalled before it is reaped: its PID cannot be reused yet
        process.wait()
    # A daemon the program left behind dies with bwrap's init (PID 1 of the namespace); the
    # cgroup is emptied anyway rather than trusted.
    if cgroup:
        cgroup.close()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _status_events(data: bytes) -> dict[str, int]:
    """bwrap's --json-status-fd: one JSON object per event ({"child-pid": N}, {"exit-code": N})."""
    events: dict[str, int] = {}
    decoder = json.JSONDecoder()
    text = data.decode("utf-8", errors="replace")
    index = 0
    while index < len(text):
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            break
        try:
            obj, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            break
        if isinstance(obj, dict):
            events.update({k: v for k, v in obj.items() if isinstance(v, int)})
    return events


# --- can it run here? -------------------------------------------------------------------------


def find_bwrap() -> str | None:
    return shutil.which("bwrap")


def find_setpriv() -> str | None:
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return setpriv if _setpriv_has_pdeathsig(setpriv) else None


@functools.cache
def _setpriv_has_pdeathsig(setpriv: str) -> bool:
    try:
        help_text = subprocess.run([setpriv, "--help"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--pdeathsig" in help_text


@functools.cache
def bwrap_features(bwrap: str) -> frozenset[str]:
    """Which of the newer options this bubblewrap knows (Ubuntu 22.04 has 0.6, without them)."""
    try:
        help_text = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(option for option in ("--disable-userns", "--size") if option in help_text)


@functools.cache
def probe(bwrap: str) -> str | None:
    """None when a sandbox with every option used here starts; otherwise bwrap's complaint."""
    config = SandboxConfig(
        bwrap=bwrap, output_cap=4096, pids_limit=64, tmpfs_size=1 << 20, features=bwrap_features(bwrap)
    )
    request = SandboxRequest(argv=("/bin/sh", "-c", "exit 0"), env={}, hostname="probe", working_dir="/", deadline_s=20)
    result = run_sandboxed(request, config)
    if result.error:
        return result.error.splitlines()[-1] if result.error else "bwrap failed"
    if result.exit_code != 0:
        return f"a sandboxed `sh -c 'exit 0'` exited with {result.exit_code}: {result.stderr.text.strip()}"
    return None
