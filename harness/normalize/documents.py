"""Manifests as sets of documents, matched by kind and name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.normalize.canonical import FormRecord
from harness.normalize.workflow import canonical_document


def document_identity(doc: Mapping[str, Any]) -> str:
    """``Kind/name``: the name, or the generateName prefix of a workflow the server has not named."""
    meta = doc.get("metadata")
    name: Any = None
    if isinstance(meta, Mapping):
        generate_name = meta.get("generateName")
        name = meta.get("name")
        if (
            isinstance(generate_name, str)
            and generate_name
            and (not isinstance(name, str) or name.startswith(generate_name))
        ):
            name = generate_name
    return f"{doc.get('kind') or '?'}/{name if name is not None else '?'}"


@dataclass(frozen=True)
class CanonicalManifest:
    """Canonical documents by identity (``Kind/name``), in the order they came."""

    documents: dict[str, dict[str, Any]]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CanonicalManifest):
            return NotImplemented
        return self.documents == other.documents

    __hash__ = None  # type: ignore[assignment]


def canonicalize(
    manifest: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    form_records: dict[str, FormRecord] | None = None,
) -> CanonicalManifest:
    """The canonical form of each document, by identity. ``form_records``, when given, receives
    a :class:`FormRecord` per document identity: where each form rule acted on it (what
    ``parity diff --show-cosmetic`` names); without it nothing is recorded."""
    docs: Sequence[Mapping[str, Any]] = [manifest] if isinstance(manifest, Mapping) else manifest
    # A `kind: List` stands for its items (as kubectl reads it): a captured function that
    # submitted several objects is one such List.
    first = docs[0] if len(docs) == 1 else None
    if isinstance(first, Mapping) and first.get("kind") == "List" and isinstance(first.get("items"), list):
        docs = first["items"]
    out: dict[str, dict[str, Any]] = {}
    for index, doc in enumerate(docs):
        if not isinstance(doc, Mapping):
            raise TypeError(f"document {index + 1} is a {type(doc).__name__}, not a mapping (a Kubernetes object)")
        identity = document_identity(doc)
        if identity in out:  # two documents with one identity: keep both, positionally
            identity = f"{identity}#{index}"
        record = None
        if form_records is not None:
            record = form_records[identity] = FormRecord()
        out[identity] = canonical_document(dict(doc), record)
    return CanonicalManifest(out)


def parse_manifest(data: bytes | str, *, source: str) -> list[dict[str, Any]]:
    """The Kubernetes objects in a YAML (or JSON) text; ``kind: List`` is expanded to its items.

    Raises :class:`~harness.errors.ParityInputError` naming ``source`` for anything that is not a
    manifest: binary data, text that is not YAML, an empty file, YAML that is not a Kubernetes
    object (a mapping with string ``apiVersion`` and ``kind``), and what
    :mod:`harness.yaml_input` refuses (duplicate keys, alias bombs, deep nesting, NaN).
    """
    from harness.errors import ParityInputError
    from harness.yaml_input import load_yaml_documents

    if isinstance(data, bytes):
        if b"\x00" in data[:8192]:
            raise ParityInputError("binary data, not a YAML manifest", file=source)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ParityInputError("not UTF-8 text, not a YAML manifest", file=source) from None
    else:
        text = data
    docs = load_yaml_documents(text, source=source, invalid="not valid YAML")
    if not docs:
        raise ParityInputError("empty: no YAML document", file=source)
    out: list[dict[str, Any]] = []
    for index, doc in enumerate(docs):
        where = f"document {index + 1}" if len(docs) > 1 else "document"
        if not isinstance(doc, dict):
            raise ParityInputError(
                f"{where} is a YAML {_yaml_type(doc)}, not a Kubernetes object (a mapping with apiVersion and kind)",
                file=source,
            )
        # `kubectl get ... -o yaml` on several objects prints one `kind: List`.
        is_list = doc.get("kind") == "List" and isinstance(doc.get("items"), list)
        items = doc["items"] if is_list else [doc]
        for item in items:
            missing = [
                k
                for k in ("apiVersion", "kind")
                if not isinstance(item, dict) or not isinstance(item.get(k), str) or not item.get(k)
            ]
            if missing:
                raise ParityInputError(f"{where} is not a Kubernetes object: no {' or '.join(missing)}", file=source)
            out.append(item)
    return out


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__
