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
byte-for-byte pip output).
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

from harness.execute._argo import PYTHON_DEBIAN_VARIANTS

PipMode = Literal["uv", "pip"]

# Paths inside the sandbox.
ENV_MOUNT = "/usr/local"
UV_IN_SANDBOX = "/opt/argo-parity/uv"
UV_CACHE_IN_SANDBOX = "/var/cache/argo-parity-uv"
NOTES_IN_SANDBOX = "/run/argo-parity/notes"
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
    if pip_mode == "uv":
        _install_pip_shim(target, interpreter.version.rsplit(".", 1)[0])


def _install_pip_shim(target: Path, version: str) -> None:
    shim = PIP_SHIM.replace("@VERSION@", version)
    for name in ("pip", "pip3", f"pip{version}"):
        path = target / "bin" / name
        path.write_text(shim, encoding="utf-8")
        path.chmod(0o755)
    package = target / "lib" / f"python{version}" / "site-packages" / "pip"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(
        '"""argo-parity: `python -m pip` runs the uv-backed pip of the local executor."""\n', encoding="utf-8"
    )
    (package / "__main__.py").write_text(
        'import os\nimport sys\n\nos.execv("/usr/local/bin/pip", ["pip", *sys.argv[1:]])\n', encoding="utf-8"
    )


# The shim runs inside the sandbox with the pod's Python (-I: no user site, no PYTHON* env; -S: no
# site-packages, so a package the program installed cannot change it).
PIP_SHIM = r'''#!/usr/local/bin/python3 -IS
"""pip, as argo-parity's local executor provides it: installs with uv into this pod's /usr/local."""
import os
import sys

UV = "/opt/argo-parity/uv"
NOTES = "/run/argo-parity/notes"
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


def refuse(reason):
    try:
        with open(NOTES, "a") as notes:
            notes.write("pip emulation: " + reason + "\n")
    except OSError:
        pass
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
    os.execve(UV, [UV, "pip", command, "--python", "/usr/local/bin/python3"] + flags + passed, env)


main(sys.argv[1:])
'''
