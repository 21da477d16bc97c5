"""Argo-aware canonical form of a manifest: what stays once form-only differences are gone.

``canonicalize(manifest)`` takes a manifest dict or a list of documents and returns a
:class:`CanonicalManifest`; two manifests are equivalent exactly when their canonical forms are
equal. The rules (identity of list items, defaults, types, live-object fields, volumes, embedded
programs) each live in one place: :mod:`harness.normalize.workflow` and the modules it uses, with
Argo/Kubernetes knowledge as data in :mod:`harness.spec.fields`, and each rule declared once in
:mod:`harness.diff.builtin_rules`.

The node types (:mod:`harness.normalize.canonical`) are light; the normaliser itself (with the
shell and Python parsers) is imported on first use of a name that needs it (PEP 562), so the
differ's rule registry can name the node types without loading the normaliser that uses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_names
from harness.normalize.canonical import ABSENT, Keyed, Leaf, json_value

if TYPE_CHECKING:
    from harness.normalize.documents import CanonicalManifest, canonicalize, document_identity, parse_manifest

# name -> the module that defines it, imported when the name is first asked for
_LAZY_DOCUMENT_NAMES = {
    "CanonicalManifest": "harness.normalize.documents",
    "canonicalize": "harness.normalize.documents",
    "document_identity": "harness.normalize.documents",
    "parse_manifest": "harness.normalize.documents",
}


__getattr__ = lazy_names(__name__, _LAZY_DOCUMENT_NAMES)


__all__ = [
    "ABSENT",
    "CanonicalManifest",
    "Keyed",
    "Leaf",
    "canonicalize",
    "document_identity",
    "json_value",
    "parse_manifest",
]
