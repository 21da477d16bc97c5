"""The local stand-in for a ``python:X.Y`` image: a fresh virtual environment per pod, made with uv.

The environment is created relocatable and bound at ``/usr/local`` inside the sandbox, where the
official image keeps its Python: ``python``, ``python3`` and ``pip`` resolve from
``/usr/local/bin``, packages land in ``/usr/local/lib/pythonX.Y/site-packages``, and tracebacks
show the same paths as in the image. Each pod starts empty, as each pod of a workflow starts from
its image, so a package installed by one pod is not seen by the next.

``pip`` (and ``python -m pip``) is a small shim that installs with ``uv pip --python
/usr/local/bin/python`` from a shared cache: the same packages in a fraction of the time. It
accepts the options pip scripts use; one it cannot translate is refused with exit code 2 and
reported as unsupported, never ignored. ``pip_mode="pip"`` seeds the real pip instead (slower,
byte-for-byte pip output), behind a wrapper of the same name.

The network: the sandbox has none. In a pod that installs packages the harness binds its package
index proxy's unix socket at ``PROXY_IN_SANDBOX`` (``index_proxy``), and for ``install`` (the
real pip: also ``download`` and ``wheel``) the shim or wrapper listens on a free port of the
sandbox's own loopback, relays each connection to that socket (threads of its own process: the
relay lives exactly as long as the install), and runs uv with ``HTTPS_PROXY``/``HTTP_PROXY``/
``ALL_PROXY`` pointing there, or the real pip with ``--proxy``. No proxy variable reaches the
user's code. An install that fails in a pod without the socket (the harness saw no install in its
program, e.g. one in a script written at run time) is reported as unsupported: the run is then
inconclusive rather than different.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

PipMode = Literal["uv", "pip"]

# The official python image's environment (Dockerfile ENV), without the build-only GPG_KEY.
IMAGE_PATH = "/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Debian-based tags of the official python image; others (alpine, windows) have another libc,
# shell or OS, so running them on the local Debian userland would be a guess.
PYTHON_DEBIAN_VARIANTS = ("", "slim", "bookworm", "slim-bookworm", "bullseye", "slim-bullseye", "trixie", "slim-trixie")

# Paths inside the sandbox.
ENV_MOUNT = "/usr/local"
UV_IN_SANDBOX = "/opt/argo-parity/uv"
UV_CACHE_IN_SANDBOX = "/var/cache/argo-parity-uv"
NOTES_IN_SANDBOX = "/run/argo-parity/notes"
PROXY_IN_SANDBOX = "/run/argo-parity/proxy.sock"  # the package index proxy (see index_proxy)
_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

_IMAGE = re.compile(r"(?:(?:docker\.io/)?library/)?python:(?P<tag>[^@]+)(?:@.+)?")
_TAG = re.compile(r"(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?(?:-(?P<variant>.+))?")


@dataclass(frozen=True)
class PythonImage:
    version: str  # "3.11"
    patch: str | None  # "7" when the tag pins one
    problem: str | None = None


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str  # full: 3.11.2
    prefix: str  # sys.base_prefix: what must be visible in the sandbox


def parse_image(image: str) -> PythonImage | None:
    """The Python version a ``python:*`` image stands for; None for any other image."""
    match = _IMAGE.fullmatch(image)
    if not match:
        return None
    tag = _TAG.fullmatch(match.group("tag"))
    if not tag:
        return PythonImage(
            "", None, problem=f"image {image} does not name a Python version (python:X.Y or python:X.Y-slim)"
        )
    version = f"{tag.group('major')}.{tag.group('minor')}"
    variant = tag.group("variant") or ""
    if variant not in PYTHON_DEBIAN_VARIANTS:
        return PythonImage(
            version,
            None,
            problem=f"image {image}: the {variant} variant has another userland than the local Debian one",
        )
    return PythonImage(version, tag.group("patch"))


@functools.cache
def find_interpreter(version: str, override: str | None = None) -> Interpreter | None:
    """A local ``pythonX.Y``; Debian's /usr/bin one first (it is visible in every sandbox)."""
    candidates = [override] if override else [f"/usr/bin/python{version}", shutil.which(f"python{version}")]
    for candidate in candidates:
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        real = os.path.realpath(candidate)
        if real.startswith("/usr/local/"):
            continue  # the pod's own environment is bound over /usr/local in the sandbox
        try:
            probe = subprocess.run(
                [
                    real,
                    "-I",
                    "-S",
                    "-c",
                    "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.base_prefix)",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
                env={"PATH": "/usr/bin:/bin"},
            )
        except (OSError, subprocess.SubprocessError):
            continue
        full, prefix = probe.stdout.split()
        if full.rsplit(".", 1)[0] == version:
            return Interpreter(real, full, prefix)
    return None


def find_uv(override: str | None = None) -> str | None:
    if override:
        return override if os.access(override, os.X_OK) else None
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


class EnvironmentCreationError(RuntimeError):
    pass


def uv_environment(cache_dir: Path) -> dict[str, str]:
    """The environment uv runs with, on the host and in the shim: nothing from the user's config."""
    env = {
        "PATH": "/usr/bin:/bin",
        "UV_CACHE_DIR": str(cache_dir),
        "UV_NO_CONFIG": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_LINK_MODE": "copy",  # never hardlink: a pod that edits an installed file must not edit the cache
        "UV_NO_PROGRESS": "1",
    }
    if os.path.exists(_CA_BUNDLE):
        # Trust what the machine trusts (a TLS-intercepting proxy's CA, where there is one).
        env["SSL_CERT_FILE"] = _CA_BUNDLE
    return env


def create_environment(target: Path, interpreter: Interpreter, *, uv: str, cache_dir: Path, pip_mode: PipMode) -> None:
    """A fresh relocatable virtual environment at ``target`` (bound at /usr/local in the sandbox)."""
    command = [uv, "venv", "--quiet", "--relocatable", "--python", interpreter.path]
    if pip_mode == "pip":
        command.append("--seed")
    env = {**uv_environment(cache_dir), "HOME": str(target.parent)}
    try:
        completed = subprocess.run(
            [*command, str(target)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
            cwd=target.parent,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise EnvironmentCreationError(f"uv venv failed: {exc}") from exc
    if completed.returncode != 0:
        raise EnvironmentCreationError(f"uv venv failed ({completed.returncode}): {completed.stderr.strip()}")
    _install_pip(target, interpreter.version.rsplit(".", 1)[0], pip_mode)


def _install_pip(target: Path, version: str, pip_mode: PipMode) -> None:
    """``pip``, ``pip3`` and ``pipX.Y``: the uv shim, or the wrapper of the real pip (which
    ``uv venv --seed`` installed); ``python -m pip`` runs the same program."""
    program = PIP_SHIM if pip_mode == "uv" else PIP_WRAPPER
    program = program.replace("@FORWARDER@", _FORWARDER.strip("\n")).replace("@VERSION@", version)
    program = program.replace("@PROXY@", PROXY_IN_SANDBOX).replace("@NOTES@", NOTES_IN_SANDBOX)
    for name in ("pip", "pip3", f"pip{version}"):
        path = target / "bin" / name
        path.write_text(program, encoding="utf-8")
        path.chmod(0o755)
    package = target / "lib" / f"python{version}" / "site-packages" / "pip"
    package.mkdir(parents=True, exist_ok=True)
    if pip_mode == "uv":
        (package / "__init__.py").write_text(
            '"""argo-parity: `python -m pip` runs the uv-backed pip of the local executor."""\n', encoding="utf-8"
        )
    # The real pip's own __main__ would run it without the proxy: `python -m pip` runs the wrapper.
    (package / "__main__.py").write_text(
        'import os\nimport sys\n\nos.execv("/usr/local/bin/pip", ["pip", *sys.argv[1:]])\n', encoding="utf-8"
    )


# Shared by the shim and the wrapper (Python standard library only: they run with -IS). It relays
# a port of the sandbox's loopback to the harness's proxy socket for the installer alone: the
# sandbox's network namespace has no other way out, and the user's code is never told about it.
_FORWARDER = r'''
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "PIP_PROXY")


def forward():
    """http://127.0.0.1:PORT, relayed to the harness's index proxy until this process ends.
    _socket and _thread rather than socket and threading (and os.posix_spawn rather than
    subprocess): their imports cost 50-70 ms per install on a busy machine."""
    import _socket
    import _thread

    listener = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)

    def pipe(source, target, done):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        try:
            target.shutdown(_socket.SHUT_WR)
        except OSError:
            pass
        if done is not None:
            done.release()

    def serve(fd):
        client = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM, 0, fd)
        # No Nagle on a relay: it would hold small writes back for the peer's delayed ACK (40 ms).
        client.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        upstream = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            upstream.connect(PROXY)
        except OSError:
            client.close()
            upstream.close()
            return
        done = _thread.allocate_lock()
        done.acquire()
        _thread.start_new_thread(pipe, (upstream, client, done))
        pipe(client, upstream, None)
        done.acquire()
        client.close()
        upstream.close()

    def accept():
        while True:
            try:
                fd, _ = listener._accept()
            except OSError:
                return
            _thread.start_new_thread(serve, (fd,))

    _thread.start_new_thread(accept, ())
    return "http://127.0.0.1:%d" % listener.getsockname()[1]


def spawn(argv, env):
    """Run argv to its end (this process stays, to relay): its exit code, -N for signal N."""
    pid = os.posix_spawn(argv[0], argv, env)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def proxied(env, url):
    """The installer's environment: the pod's own proxy settings name hosts it cannot reach here."""
    for name in PROXY_VARIABLES:
        env.pop(name, None)
        env.pop(name.lower(), None)
    if url:
        env.update({"HTTPS_PROXY": url, "HTTP_PROXY": url, "ALL_PROXY": url})
    return env


def note(text):
    try:
        with open(NOTES, "a") as notes:
            notes.write(text + "\n")
    except OSError:
        pass


def finish(code, offline, args):
    """Exit as the installer did; an install that failed without network is reported unsupported."""
    if code != 0 and offline and "--no-index" not in args:
        note("network: pip install failed in a pod without network: the harness gives the package index only to "
             "pods whose program runs pip install or download as a command it can read, and found none in this "
             "one (an install from a script written or fetched at run time?)")
    sys.exit(128 - code if code < 0 else code)
'''

# The shim runs inside the sandbox with the pod's Python (-I: no user site, no PYTHON* env; -S: no
# site-packages, so a package the program installed cannot change it).
PIP_SHIM = r'''#!/usr/local/bin/python3 -IS
"""pip, as argo-parity's local executor provides it: installs with uv into this pod's /usr/local."""
import os
import sys

UV = "/opt/argo-parity/uv"
NOTES = "@NOTES@"
PROXY = "@PROXY@"
VERSION = "@VERSION@"
COMMANDS = ("install", "uninstall", "list", "freeze", "show", "check")
# pip options that change nothing uv does here (uv never prompts, caches outside the pod, ...)
IGNORED = {
    "--no-cache-dir", "--disable-pip-version-check", "--no-warn-script-location", "--no-input",
    "--no-color", "--break-system-packages", "--no-python-version-warning", "--isolated",
    "--root-user-action=ignore", "--progress-bar=off",
}
IGNORED_WITH_VALUE = {"--root-user-action", "--progress-bar", "--cache-dir", "--timeout", "--retries", "--log"}
PASSED = {"-U", "--upgrade", "--no-deps", "--pre", "--force-reinstall", "--no-index", "--require-hashes",
          "--no-build-isolation", "--compile"}
PASSED_WITH_VALUE = {"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
                     "--extra-index-url", "-f", "--find-links", "--only-binary", "--no-binary", "-t",
                     "--target", "--prefix"}
UNSUPPORTED = {"--user": "pip install --user"}

@FORWARDER@


def refuse(reason):
    note("pip emulation: " + reason)
    sys.stderr.write("pip (argo-parity local executor, emulated with uv): " + reason + "\n")
    sys.exit(2)


def main(args):
    command = None
    passed = []
    verbosity = 0
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, _ = arg.partition("=")
        i += 1
        if command is None and arg in ("-V", "--version"):
            print("pip (argo-parity: uv) from /usr/local/lib/python%s/site-packages (python %s)" % (VERSION, VERSION))
            return
        if command is None and not arg.startswith("-"):
            command = arg
        elif arg in IGNORED:
            pass
        elif name in IGNORED_WITH_VALUE:
            i += 0 if eq else 1
        elif arg in ("-q", "--quiet"):
            verbosity -= 1
        elif arg in ("-v", "--verbose"):
            verbosity += 1
        elif arg in ("-y", "--yes") and command == "uninstall":
            pass
        elif arg in UNSUPPORTED:
            refuse(UNSUPPORTED[arg] + " is not supported")
        elif arg in PASSED:
            passed.append(arg)
        elif name in PASSED_WITH_VALUE:
            passed.extend(args[i - 1:i] if eq else args[i - 1:i + 1])
            i += 0 if eq else 1
        elif arg[:2] in PASSED_WITH_VALUE and not arg.startswith("--"):
            passed.append(arg)  # -rrequirements.txt
        elif arg.startswith("-"):
            refuse("option %s of pip %s is not supported" % (arg, command or ""))
        else:
            passed.append(arg)
    if command not in COMMANDS:
        refuse("pip %s is not supported" % (command or "without a command"))
    flags = []
    if command in ("install", "uninstall", "freeze", "list"):  # quiet: no "Using Python ..." banner
        flags = ["--quiet"] if verbosity <= 0 else ["--verbose"]
    env = dict(os.environ)
    env.update({
        "UV_CACHE_DIR": "/var/cache/argo-parity-uv", "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never",
        "UV_LINK_MODE": "copy", "UV_NO_PROGRESS": "1",
    })
    for pip_name, uv_name in (("PIP_INDEX_URL", "UV_INDEX_URL"), ("PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL")):
        if pip_name in env:
            env[uv_name] = env[pip_name]
    if os.path.exists("/etc/ssl/certs/ca-certificates.crt"):
        env["SSL_CERT_FILE"] = "/etc/ssl/certs/ca-certificates.crt"
    uv = [UV, "pip", command, "--python", "/usr/local/bin/python3"] + flags + passed
    if command != "install":
        os.execve(UV, uv, env)  # nothing to fetch
    # The shim stays to relay uv's connections, so uv runs as its child: same streams, same exit code.
    url = forward() if os.path.exists(PROXY) else None
    finish(spawn(uv, proxied(env, url)), url is None, passed)


main(sys.argv[1:])
'''

# pip_mode="pip": the real pip (seeded by uv), told to fetch through the proxy. Runs with -IS like
# the shim; the real pip then runs as its console script would, without -I.
PIP_WRAPPER = r'''#!/usr/local/bin/python3 -IS
"""pip, as argo-parity's local executor runs it with pip_mode="pip": the real pip, fetching through
the harness's package index proxy."""
import os
import sys

PYTHON = "/usr/local/bin/python3"
NOTES = "@NOTES@"
PROXY = "@PROXY@"
NETWORK_COMMANDS = ("install", "download", "wheel")
VALUE_OPTIONS = {"--proxy", "--log", "--log-file", "--local-log", "--cache-dir", "--timeout", "--retries",
                 "--exists-action", "--trusted-host", "--cert", "--client-cert", "--python", "--keyring-provider",
                 "--use-feature", "--use-deprecated"}
# The real pip's entry point, with the wrapper's own name as its prog (in usage messages).
RUN_PIP = "import sys; from pip._internal.cli.main import main; sys.argv[0] = sys.argv.pop(1); sys.exit(main())"

@FORWARDER@


def main(args):
    at = 0
    while at < len(args) and args[at].startswith("-"):
        at += 2 if args[at] in VALUE_OPTIONS else 1
    command = args[at] if at < len(args) else None
    pip = [PYTHON, "-c", RUN_PIP, sys.argv[0]]
    if command not in NETWORK_COMMANDS:
        os.execv(PYTHON, pip + args)
    url = forward() if os.path.exists(PROXY) else None
    if url:
        args = args[:at + 1] + ["--proxy", url] + args[at + 1:]
    finish(spawn(pip + args, proxied(dict(os.environ), url)), url is None, args)


main(sys.argv[1:])
'''
