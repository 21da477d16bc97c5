"""The files a workflow left on its claims, read by a short pod that mounts them read-only and
prints a JSON listing, reported as the local executor reports them (``FileResult``)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.argo import rbac
from harness.execute.result import FileResult
from harness.execute.volumes import PersistentVolume, container_path, preview_text

# Where the reader pod mounts claim number N, and the line its listing starts with.
READER_ROOT = "/parity/volumes"
READER_MARKER = "ARGO-PARITY-FILES "
READER_POD = "argo-parity-reader"

# Runs in the reader pod (the image's python3): lists every file under each root as one JSON line.
READER_SCRIPT = r"""
import base64, hashlib, json, os, stat, sys
roots, max_files, preview = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
files, truncated = [], False
for index, root in enumerate(roots):
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        for name in sorted(names):
            if len(files) >= max_files:
                truncated = True
                break
            path = os.path.join(directory, name)
            entry = {"root": index, "path": os.path.relpath(path, root)}
            try:
                info = os.lstat(path)
                if stat.S_ISLNK(info.st_mode):
                    entry.update(kind="symlink", target=os.readlink(path))
                elif not stat.S_ISREG(info.st_mode):
                    entry.update(kind="other")
                else:
                    digest, head, size = hashlib.sha256(), b"", 0
                    with open(path, "rb") as handle:
                        while True:
                            chunk = handle.read(1 << 20)
                            if not chunk:
                                break
                            if size < preview:
                                head += chunk[: preview - size]
                            size += len(chunk)
                            digest.update(chunk)
                    head = base64.b64encode(head).decode()
                    entry.update(kind="file", size=size, sha256=digest.hexdigest(), head=head)
            except OSError as exc:
                entry.update(kind="unreadable", error=exc.strerror or str(exc))
            files.append(entry)
print("ARGO-PARITY-FILES " + json.dumps({"files": files, "truncated": truncated}))
"""


def reader_pod(claims: Sequence[str], *, image: str, max_files: int, preview_bytes: int) -> dict[str, Any]:
    """A pod that mounts each claim read-only at ``READER_ROOT/NN`` and prints the listing."""
    roots = [f"{READER_ROOT}/{index:02d}" for index in range(len(claims))]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": READER_POD, "labels": dict(rbac.MANAGED_BY)},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "containers": [
                {
                    "name": "reader",
                    "image": image,
                    "command": ["python3", "-c", READER_SCRIPT, json.dumps(roots), str(max_files), str(preview_bytes)],
                    "volumeMounts": [
                        {"name": f"claim-{index:02d}", "mountPath": root, "readOnly": True}
                        for index, root in enumerate(roots)
                    ],
                }
            ],
            "volumes": [
                {"name": f"claim-{index:02d}", "persistentVolumeClaim": {"claimName": claim, "readOnly": True}}
                for index, claim in enumerate(claims)
            ],
        },
    }


def files_from_listing(output: str, volumes: Sequence[PersistentVolume]) -> tuple[tuple[FileResult, ...], bool]:
    """The reader's output as ``FileResult`` entries (paths as the containers saw them), sorted."""
    line = next((line for line in output.splitlines() if line.startswith(READER_MARKER)), None)
    if line is None:
        raise ValueError(f"the reader printed no listing ({output.strip()[-200:]!r})")
    try:
        listing = json.loads(line[len(READER_MARKER) :])
        entries = listing["files"]
        truncated = bool(listing["truncated"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"the reader's listing is not valid: {exc}") from None
    files: list[FileResult] = []
    try:
        for entry in entries:
            index = int(entry["root"])
            if not 0 <= index < len(volumes):
                raise IndexError(f"root {index} of {len(volumes)}")
            volume = volumes[index]
            root = Path(READER_ROOT) / str(index)
            path = container_path(root / str(entry["path"]), root, volume.source, volume.mount)
            files.append(_file_result(entry, path, volume.source))
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the reader's listing is not valid: {type(exc).__name__}: {exc}") from None
    return tuple(sorted(files, key=lambda f: f.path)), truncated


def _file_result(entry: Mapping[str, Any], path: str, source: str) -> FileResult:
    kind = entry.get("kind")
    if kind == "symlink":
        target = str(entry.get("target"))
        data = target.encode()
        return FileResult(path, len(data), hashlib.sha256(data).hexdigest(), f"symlink to {target}", True, source)
    if kind == "other":  # as the local executor: a FIFO or socket is named, never read
        return FileResult(path, 0, "", "<not a regular file>", False, source)
    if kind == "unreadable":
        return FileResult(path, 0, "", f"<unreadable: {entry.get('error')}>", False, source)
    try:
        head = base64.b64decode(str(entry["head"]), validate=True)
        size = int(entry["size"])
        digest = str(entry["sha256"])
    except (binascii.Error, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the reader's entry for {path} is not valid: {type(exc).__name__}: {exc}") from None
    return FileResult(path, size, digest, preview_text(head), size <= len(head), source)
