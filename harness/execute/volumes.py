"""Volumes of one workflow run: fresh host directories, and the files left on them at the end.

An existing claim (``persistentVolumeClaim``) becomes an empty directory shared by every pod of
this run that mounts the same claim: a run never sees another run's files, and the legacy and new
runs of a scenario never share one. A ``volumeClaimTemplates`` entry is a new claim made for the
run (the trap of ``hera.workflows.Volume``): also a fresh directory, recorded as such on every file
it holds, so writing results there instead of to the existing claim is a visible difference. An
``emptyDir`` lives as long as its pod, so its files are gone when the workflow ends.

The files of a persistent volume are reported under one of the paths it is mounted at, chosen by
``persistent_volumes`` the same way for every executor (the cluster executor too): among all the
mounts of the volume in the templates the workflow can run, the smallest ``(mountPath, subPath)``.
The choice depends only on the set of mounts, never on the order of templates or tasks, nor on
which parallel pod mounted the volume first.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import stat
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.execute.result import FileResult
from harness.spec import tags

_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class ResolvedVolume:
    host_dir: Path
    source: str  # persistentVolumeClaim/<claim>, volumeClaimTemplate/<name>, emptyDir/<name>
    persistent: bool


class VolumeNotFound(LookupError):
    pass


@dataclass(frozen=True)
class PersistentVolume:
    """A volume whose files outlive the workflow, and the mount its files are reported under."""

    volume: str  # its name in the manifest
    source: str  # persistentVolumeClaim/<claim> or volumeClaimTemplate/<volume>, as FileResult.volume
    claim: str | None  # the existing claim's name; None for a claim template (Argo names it)
    mount_path: str
    sub_path: str = ""

    @property
    def mount(self) -> tuple[str, str]:
        return (self.mount_path, self.sub_path)


def report_mount(mounts: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """The mount a persistent volume's files are reported under: the smallest ``(mountPath,
    subPath)`` (subPath without its slashes), preferring mounts written without Argo variables.
    Independent of the order the mounts come in. ``mounts`` must not be empty."""
    candidates = set(mounts)
    plain = {mount for mount in candidates if not _has_variable(mount)}
    return min(plain or candidates)


def persistent_volumes(spec: Mapping[str, Any]) -> tuple[PersistentVolume, ...]:
    """Every persistent volume a container of the workflow mounts, sorted by source, each with the
    mount ``report_mount`` chooses among all its mounts in ``reachable_templates`` (as written in
    the manifest). Both executors report files under these paths."""
    workflow_volumes = {v.get("name"): v for v in spec.get("volumes") or [] if isinstance(v, Mapping)}
    claim_templates = {
        t["metadata"]["name"]
        for t in spec.get("volumeClaimTemplates") or []
        if isinstance(t, Mapping) and isinstance(t.get("metadata"), Mapping) and t["metadata"].get("name")
    }
    found: dict[str, dict[tuple[str, str], tuple[str, str | None]]] = {}
    for template in reachable_templates(spec):
        local = {v.get("name"): v for v in template.get("volumes") or [] if isinstance(v, Mapping)}
        for mount in _volume_mounts(template):
            name = mount.get("name")
            volume = local.get(name) or workflow_volumes.get(name)
            if volume is not None and isinstance(volume.get("persistentVolumeClaim"), Mapping):
                claim = str(volume["persistentVolumeClaim"].get("claimName"))
                source, claim_name = f"persistentVolumeClaim/{claim}", claim
            elif volume is None and name in claim_templates:
                source, claim_name = f"volumeClaimTemplate/{name}", None
            else:
                continue
            where = (str(mount.get("mountPath")), str(mount.get("subPath") or "").strip("/"))
            known = found.setdefault(source, {})
            if where not in known or str(name) < known[where][0]:  # two volumes of one claim: by name
                known[where] = (str(name), claim_name)
    volumes = []
    for source, mounts in sorted(found.items()):
        mount_path, sub_path = report_mount(mounts)
        name, claim_name = mounts[(mount_path, sub_path)]
        volumes.append(PersistentVolume(name, source, claim_name, mount_path, sub_path))
    return tuple(volumes)


def reachable_templates(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The templates the workflow can run, each once: the entrypoint, the exit handler
    (``onExit``) and lifecycle hooks of the workflow, and what their steps and DAG tasks call
    (templates, ``onExit`` and ``hooks`` of each call), depth first in the order they are called."""
    templates = {t.get("name"): t for t in spec.get("templates") or [] if isinstance(t, Mapping)}
    seen: set[str] = set()
    stack: list[Any] = [*reversed(_hook_templates(spec)), spec.get("onExit"), spec.get("entrypoint")]
    while stack:
        name = stack.pop()
        if not isinstance(name, str) or name in seen or name not in templates:
            continue
        seen.add(name)
        template = templates[name]
        yield template
        calls: list[Any] = []
        for group in template.get("steps") or []:
            calls.extend(group if isinstance(group, list) else [group])
        dag = template.get("dag")
        if isinstance(dag, Mapping):
            calls.extend(dag.get("tasks") or [])
        called: list[Any] = []
        for call in calls:
            if isinstance(call, Mapping):
                called.extend([call.get("template"), call.get("onExit"), *_hook_templates(call)])
        stack.extend(reversed(called))


def _hook_templates(owner: Mapping[str, Any]) -> list[Any]:
    """The templates of a workflow's, step's or task's lifecycle ``hooks`` (``exit`` included)."""
    hooks = owner.get("hooks")
    if not isinstance(hooks, Mapping):
        return []
    return [hook.get("template") for _, hook in sorted(hooks.items()) if isinstance(hook, Mapping)]


def _volume_mounts(template: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The volume mounts of every container of a template: main, init containers, sidecars and a
    containerSet's containers."""
    containers: list[Any] = [template.get(kind) for kind in ("container", "script")]
    for key in ("initContainers", "sidecars"):
        containers.extend(template.get(key) or [])
    container_set = template.get("containerSet")
    if isinstance(container_set, Mapping):
        containers.extend(container_set.get("containers") or [])
    for container in containers:
        if isinstance(container, Mapping):
            yield from (mount for mount in container.get("volumeMounts") or [] if isinstance(mount, Mapping))


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
        # Where each persistent volume's files are reported: the mount the manifest's own rule
        # chooses (``persistent_volumes``), the same whatever order the pods ran in.
        self._report_at = {volume.source: volume.mount for volume in persistent_volumes(spec)}
        # The mounts made, for a volume the rule cannot place (a path with a variable).
        self._mounts: dict[str, set[tuple[str, str]]] = {}

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
                self._mounts.setdefault(volume.source, set()).add((mount_path, sub_path.strip("/")))
        return target

    def reported_mount(self, source: str) -> tuple[str, str] | None:
        """The mount the files of ``source`` are reported under; None when no pod mounted it."""
        with self._lock:
            made = set(self._mounts.get(source) or ())
        if not made:
            return None
        static = self._report_at.get(source)
        if static is None or _has_variable(static):
            return report_mount(made)  # the manifest's paths hold variables: the paths they became
        return static

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
            mount = self.reported_mount(source)
            if mount is None:
                continue
            for path in _walk(directory):
                if len(files) >= max_files:
                    truncated = True
                    break
                files.append(_describe(path, container_path(path, directory, source, mount), source, preview_bytes))
        return tuple(sorted(files, key=lambda f: f.path)), truncated


def _has_variable(mount: tuple[str, str]) -> bool:
    """Whether a mount's path or subPath holds a variable Argo fills in at run time."""
    return any(tags.first_argo_tag(part) is not None for part in mount)


def container_path(path: Path, root: Path, source: str, mount: tuple[str, str]) -> str:
    """Where a container saw ``path`` (a file under the volume's directory ``root``), the volume
    mounted at ``mount`` (mountPath, subPath); ``<source>:/<path>`` outside the subPath."""
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


def _describe(path: Path, seen_at: str, source: str, preview_bytes: int) -> FileResult:
    if path.is_symlink():
        target = os.readlink(path)
        data = target.encode()
        return FileResult(
            path=seen_at,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            preview=f"symlink to {target}",
            complete=True,
            volume=source,
        )
    if not stat.S_ISREG(path.lstat().st_mode):  # a FIFO would block a reader forever
        return FileResult(seen_at, 0, "", "<not a regular file>", False, source)
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
        return FileResult(seen_at, 0, "", f"<unreadable: {exc.strerror}>", False, source)
    return FileResult(
        path=seen_at,
        size=size,
        sha256=digest.hexdigest(),
        preview=preview_text(head),
        complete=size <= preview_bytes,
        volume=source,
    )


def preview_text(data: bytes) -> str | None:
    """A file's first bytes as text when they are UTF-8, else None."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the preview's end is still text.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8")
        return None


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:80]
