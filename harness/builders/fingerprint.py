"""Which code a builder reference stands for: the evidence a saved fuzz report is bound to.

A fuzz report says "these builders agreed on N examples". It is evidence about a later run only
if that run's builders are the same code. The fingerprint covers what a builder's output depends
on, found without running any of it:

- every project source file in the builder module's import closure, read from the ``import``
  statements (anywhere in the file, so imports inside functions count), resolved the way Python
  would without executing anything (``importlib.machinery.PathFinder``);
- the name and version of every installed distribution that closure imports from (upgrading
  hera changes what a Hera builder emits);
- the data files beside the builder module (templates a builder loads).

It is the same in every process: it does not depend on what else happens to be imported. Not
covered: modules imported by a computed name (``importlib.import_module(f"...")``).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import sys
from dataclasses import dataclass
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from typing import Any

from harness._python_ast import parse_module

# A closure this large is not one builder's code: stop walking, what was read still counts.
_MAX_FILES = 2000
_SOURCE_SUFFIXES = (".py", ".pyc", ".pyo")
_CAPTURE_MODULE = "harness.builders.capture"


@dataclass(frozen=True)
class BuilderSource:
    reference: str
    files: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "files": self.files, "sha256": self.sha256}


def source_of(reference: str) -> BuilderSource:
    """The fingerprint of ``package.module:attr``, imports nothing. For ``capture:package.module:attr``:
    the function's module and the capture machinery (``harness.builders.capture``)."""
    if os.getcwd() not in sys.path:  # resolved from the working directory, as builders are
        sys.path.insert(0, os.getcwd())
    module_name = reference.removeprefix("capture:").partition(":")[0]
    spec = _find(module_name)
    digest = hashlib.sha256(reference.encode())
    if spec is None or not spec.origin or not Path(spec.origin).is_file():
        return BuilderSource(reference, 0, digest.hexdigest())
    modules, distributions = _closure(module_name, Path(spec.origin))
    if reference.startswith("capture:"):
        # What the function submits is the manifest only as capture reads it (kubectl's and
        # argo's options, the body as sent): its code is part of the builder too.
        machinery = _find(_CAPTURE_MODULE)
        if machinery is not None and machinery.origin:
            more, more_distributions = _closure(_CAPTURE_MODULE, Path(machinery.origin))
            modules = {**more, **modules}
            distributions |= more_distributions
    folder = Path(spec.origin).parent
    data = {f"{module_name}:{path.relative_to(folder)}": path for path in _data_files(folder)}
    # Named by module and by path inside the package, never by absolute path: two clones of one
    # commit have one fingerprint.
    for name, path in sorted({**modules, **data}.items()):
        digest.update(name.encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    for distribution in sorted(distributions):
        digest.update(distribution.encode() + b"\0")
    return BuilderSource(reference, len(modules) + len(data), digest.hexdigest())


def _closure(module_name: str, origin: Path) -> tuple[dict[str, Path], set[str]]:
    files: dict[str, Path] = {}
    distributions: set[str] = set()
    pending = [(module_name, origin)]
    seen = {module_name}
    while pending and len(files) < _MAX_FILES:
        name, path = pending.pop()
        files[name] = path
        is_package = path.name == "__init__.py"
        for imported in _imports(path, name, is_package):
            for candidate in _with_parents(imported):
                if candidate in seen:
                    continue
                seen.add(candidate)
                top = candidate.partition(".")[0]
                if top in sys.stdlib_module_names or top in sys.builtin_module_names:
                    continue
                spec = _find(candidate)
                if spec is None or not spec.origin or spec.origin in ("built-in", "frozen"):
                    continue
                found = Path(spec.origin)
                if _installed(found):
                    distributions.update(_distributions(top))
                elif found.suffix == ".py" and found.is_file():
                    pending.append((candidate, found))
    return files, distributions


def _imports(path: Path, module_name: str, is_package: bool) -> set[str]:
    try:
        tree = parse_module(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return set()
    package = module_name if is_package else module_name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            if base is None:
                continue
            if base:
                names.add(base)
            # `from pkg import sub` may name a submodule
            names.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names if alias.name != "*")
    return names


def _absolute(module: str | None, level: int, package: str) -> str | None:
    if level == 0:
        return module or ""
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = ".".join(parts[: len(parts) - (level - 1)])
    return f"{base}.{module}" if module and base else (module or base)


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[: index + 1]) for index in range(len(parts))]


def _find(name: str) -> ModuleSpec | None:
    """The spec Python's path finder would use for ``name``, without importing any package."""
    path: list[str] | None = None
    spec: ModuleSpec | None = None
    for part in _with_parents(name):
        spec = PathFinder.find_spec(part, path)
        if spec is None:
            return None
        path = list(spec.submodule_search_locations or [])
    return spec


def _installed(path: Path) -> bool:
    return any(part in ("site-packages", "dist-packages") for part in path.parts)


@functools.cache
def _package_distributions() -> dict[str, list[str]]:
    from importlib.metadata import packages_distributions

    return dict(packages_distributions())


def _distributions(top: str) -> set[str]:
    from importlib.metadata import PackageNotFoundError, version

    found = set()
    for name in _package_distributions().get(top, []):
        try:
            found.add(f"{name}=={version(name)}")
        except PackageNotFoundError:
            found.add(name)
    return found


def _data_files(folder: Path) -> list[Path]:
    """Non-source files of the builder's own package (its templates): the package folder and its
    sub-folders that are not packages of their own. A module outside a package has none (its
    folder is a project root, whose other files are not the builder's)."""
    if not (folder / "__init__.py").is_file():
        return []
    found: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".") and d != "__pycache__" and not (Path(root, d) / "__init__.py").is_file()
        ]
        found.extend(Path(root, name) for name in names if not name.endswith(_SOURCE_SUFFIXES))
        if len(found) > _MAX_FILES:
            break
    return found
