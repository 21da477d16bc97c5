"""Argo-aware canonical form of a manifest: what stays once form-only differences are gone.

``canonicalize(manifest)`` takes a manifest dict or a list of documents and returns a
:class:`CanonicalManifest`; two manifests are equivalent exactly when their canonical forms are
equal. The rules (identity of list items, defaults, types, live-object fields, volumes, embedded
programs) each live in one place: :mod:`harness.normalize.workflow` and the modules it uses, with
Argo/Kubernetes knowledge as data in :mod:`harness.spec.fields`.
"""

from harness.normalize.canonical import Keyed, Leaf, to_json
from harness.normalize.documents import CanonicalManifest, canonicalize, document_identity, parse_manifest

__all__ = ["CanonicalManifest", "Keyed", "Leaf", "canonicalize", "document_identity", "parse_manifest", "to_json"]
