"""Volumes of one workflow run: fresh host directories, and the files left on them at the end.

An existing claim (``persistentVolumeClaim``) becomes an empty directory shared by every pod of
this run that mounts the same claim: a run never sees another run's files, and the legacy and new
runs of a scenario never share one. A ``volumeClaimTemplates`` entry is a new claim made for the
run (the trap of ``hera.workflows.Volume``): also a fresh directory, recorded as such on every file
it holds, so writing results there instead of to the existing claim is a visible difference. An
``emptyDir`` lives as long as its pod, so its files are gone when the workflow ends.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.execute.result import FileResult

_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class ResolvedVolume:
    host_dir: Path
    source: str  # persistentVolumeClaim/<claim>, volumeClaimTemplate/<name>, emptyDir/<name>
    persistent: bool


class VolumeNotFound(LookupError):
    pass


class RunVolumes:
    """Thread-safe: pods of a DAG mount volumes concurrently."""

    def __init__(self, root: Path, spec: Mapping[str, Any]) -> None:
        self._root = root
        self._lock = threading.Lock()
        self._workflow_volumes = {v["name"]: v for v in spec.get("volumes") or [] if isinstance(v, Mapping)}
        self._claim_templates = {
            t["metadata"]["name"]
            for t in spec.get("volumeClaimTemplates") or []
            if isinstance(t, Mapping) and isinstance(t.get("metadata"), Mapping)
        }
        self._dirs: dict[str, Path] = {}
        # Where each persistent volume was first mounted: its files are reported under that path.
        self._first_mount: dict[str, tuple[str, str]] = {}

    def resolve(self, name: str, template: Mapping[str, Any], pod_dir: Path) -> ResolvedVolume:
        local = {v["name"]: v for v in template.get("volumes") or [] if isinstance(v, Mapping)}
        volume = local.get(name) or self._workflow_volumes.get(name)
        if volume is None:
            if name in self._claim_templates:
                return self._persistent(f"volumeClaimTemplate/{name}")
            raise VolumeNotFound(f'volume "{name}" not found: it is neither a workflow nor a template volume')
        if "persistentVolumeClaim" in volume:
            return self._persistent(f"persistentVolumeClaim/{volume['persistentVolumeClaim']['claimName']}")
        if "emptyDir" in volume:
            directory = pod_dir / "emptyDir" / _safe(name)
            directory.mkdir(parents=True, exist_ok=True)
            return ResolvedVolume(directory, f"emptyDir/{name}", persistent=False)
        raise VolumeNotFound(f'volume "{name}" has a source this executor does not provide')

    def mounted(self, volume: ResolvedVolume, mount_path: str, sub_path: str) -> Path:
        """Record a mount; returns the host directory to bind (the subPath inside the volume)."""
        target = volume.host_dir
        if sub_path:
            target = volume.host_dir / sub_path.strip("/")
            target.mkdir(parents=True, exist_ok=True)
        if volume.persistent:
            with self._lock:
                self._first_mount.setdefault(volume.source, (mount_path, sub_path.strip("/")))
        return target

    def _persistent(self, source: str) -> ResolvedVolume:
        with self._lock:
            directory = self._dirs.get(source)
            if directory is None:
                directory = self._root / f"{len(self._dirs):02d}-{_safe(source)}"
                directory.mkdir(parents=True)
                self._dirs[source] = directory
        return ResolvedVolume(directory, source, persistent=True)

    def collect(self, *, max_files: int, preview_bytes: int) -> tuple[tuple[FileResult, ...], bool]:
        """Files on the persistent volumes, by the path a container saw them at; sorted."""
        files: list[FileResult] = []
        truncated = False
        for source, directory in sorted(self._dirs.items()):
            mount = self._first_mount.get(source)
            if mount is None:
                continue
            for path in _walk(directory):
                if len(files) >= max_files:
                    truncated = True
                    break
                files.append(_describe(path, _container_path(path, directory, source, mount), source, preview_bytes))
        return tuple(sorted(files, key=lambda f: f.path)), truncated


def _container_path(path: Path, root: Path, source: str, mount: tuple[str, str]) -> str:
    mount_path, sub_path = mount
    relative = path.relative_to(root).as_posix()
    if sub_path:
        if not relative.startswith(sub_path + "/"):
            return f"{source}:/{relative}"  # outside the mounted subPath: no container saw it
        relative = relative[len(sub_path) + 1 :]
    return posixpath.join(mount_path, relative)


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        found.extend(Path(directory) / name for name in sorted(names))
    return found


def _describe(path: Path, container_path: str, source: str, preview_bytes: int) -> FileResult:
    if path.is_symlink():
        target = os.readlink(path)
        data = target.encode()
        return FileResult(
            path=container_path,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            preview=f"symlink to {target}",
            complete=True,
            volume=source,
        )
    if not stat.S_ISREG(path.lstat().st_mode):  # a FIFO would block a reader forever
        return FileResult(container_path, 0, "", "<not a regular file>", False, source)
    digest = hashlib.sha256()
    head = b""
    size = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                if size < preview_bytes:
                    head += chunk[: preview_bytes - size]
                size += len(chunk)
                digest.update(chunk)
    except OSError as exc:  # a file the program made unreadable: report it, do not fail the run
        return FileResult(container_path, 0, "", f"<unreadable: {exc.strerror}>", False, source)
    return FileResult(
        path=container_path,
        size=size,
        sha256=digest.hexdigest(),
        preview=_text(head),
        complete=size <= preview_bytes,
        volume=source,
    )


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the preview's end is still text.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8")
        return None


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:80]
