"""How Argo names a workflow's nodes and pods, and what hostname Kubernetes gives a pod.

Where each fact comes from:

- Argo ``pkg/apis/workflow/v1alpha1`` ``Workflow.NodeID``: a node's id is the workflow's name for
  the root node (whose name is the workflow's), else ``<workflow>-<fnv32a(node name)>``.
- Argo ``workflow/util/pod_name.go`` (``GeneratePodName``, ``ensurePodNamePrefixLength``,
  ``PodNameV1``/``PodNameV2``) and its twin ``ui/src/shared/pod-name.ts``: a ``v1`` pod is named
  after its node id; a ``v2`` pod (the default since v3.2) after the workflow for the root node,
  else ``<workflow>-<template>-<fnv32a(node name)>``, the prefix cut to 253 - 10 - 1 characters so
  the hash (at most 10 decimal digits) always fits Kubernetes' 253.
- Argo ``workflow/common/common.go`` ``AnnotationKeyPodNameVersion``: the annotation recording the
  format on a workflow.
- Kubernetes ``pkg/kubelet`` ``truncatePodHostnameIfNeeded``: a pod's hostname is its name cut to
  63 characters, without a trailing ``-`` or ``.``; ``HOSTNAME`` in its containers is that name.
- Kubernetes ``k8s.io/apimachinery/pkg/util/validation`` (``IsDNS1123Label``,
  ``IsDNS1123Subdomain``, ``IsValidLabelValue``): namespaces and volume names are RFC 1123 labels,
  most object names (pods, claims, secrets) DNS subdomains; a label value is at most 63 characters
  of ``[A-Za-z0-9._-]``, alphanumeric at both ends (or empty).
- Argo's node names (``workflow/controller/steps.go``, ``dag.go``, ``retry``): the root node is
  named after the workflow; a step is ``<group's parent>[<group index>].<step>``, a task
  ``<dag>.<task>``, a loop iteration adds ``(<index>:<item>)``, a retry attempt ``(<attempt>)``. So
  every node's name starts with the workflow's name followed by ``[`` or ``.``. The executors
  write the same names rooted at the entrypoint instead (``main[0].fetch``), which do not change
  from one run to the next: :func:`argo_node_name` and :func:`relative_node_name` convert.
"""

from __future__ import annotations

import re
from typing import Final

POD_NAME_FORMAT_ANNOTATION: Final = "workflows.argoproj.io/pod-name-format"
POD_NAME_V1: Final = "v1"
POD_NAME_V2: Final = "v2"
DNS_LABEL_MAX: Final = 63
DNS_SUBDOMAIN_MAX: Final = 253
MAX_RESOURCE_NAME: Final = DNS_SUBDOMAIN_MAX  # a pod name (maxK8sResourceNameLength)
HASH_LENGTH: Final = 10  # the decimal digits of a 32-bit hash (k8sNamingHashLength)
MAX_HOSTNAME: Final = DNS_LABEL_MAX

LABEL_VALUE_MAX: Final = 63

_DNS_LABEL: Final = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN: Final = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")

_FNV32_OFFSET: Final = 0x811C9DC5
_FNV32_PRIME: Final = 0x01000193


def fnv32a(text: str) -> int:
    """FNV-1a, 32 bits, of the UTF-8 text: the hash Argo uses in node ids and v2 pod names."""
    digest = _FNV32_OFFSET
    for byte in text.encode("utf-8"):
        digest = ((digest ^ byte) * _FNV32_PRIME) & 0xFFFFFFFF
    return digest


def node_id(workflow_name: str, node_name: str) -> str:
    """Argo's id of the node named ``node_name`` (``wf``, ``wf[0].step``, ``wf.task(1:b)``)."""
    if node_name == workflow_name:
        return workflow_name
    return f"{workflow_name}-{fnv32a(node_name)}"


def pod_name_prefix(workflow_name: str, template_name: str | None) -> str:
    """``<workflow>-<template>`` (the workflow alone without a template), cut so the hash fits."""
    prefix = f"{workflow_name}-{template_name}" if template_name else workflow_name
    return prefix[: MAX_RESOURCE_NAME - HASH_LENGTH - 1]


def pod_name(workflow_name: str, node_name: str, template_name: str | None, version: str = POD_NAME_V2) -> str:
    """The pod Argo creates for the node named ``node_name`` running ``template_name``."""
    if version == POD_NAME_V1:
        return node_id(workflow_name, node_name)
    if node_name == workflow_name:
        return workflow_name
    return f"{pod_name_prefix(workflow_name, template_name)}-{fnv32a(node_name)}"


def pod_hostname(name: str) -> str:
    """The hostname Kubernetes gives the pod named ``name`` (also its containers' ``HOSTNAME``)."""
    if len(name) <= MAX_HOSTNAME:
        return name
    return name[:MAX_HOSTNAME].rstrip("-.")


def is_dns_label(value: str) -> bool:
    """An RFC 1123 label: lowercase letters, digits and ``-``, alphanumeric at both ends, at most 63."""
    return len(value) <= DNS_LABEL_MAX and _DNS_LABEL.fullmatch(value) is not None


def is_dns_subdomain(value: str) -> bool:
    """A DNS subdomain: RFC 1123 labels joined by ``.``, at most 253 characters."""
    return len(value) <= DNS_SUBDOMAIN_MAX and _DNS_SUBDOMAIN.fullmatch(value) is not None


def as_dns_label(text: str) -> str:
    """``text`` lowercased, each run of characters a DNS label cannot hold made one ``-``, without
    ``-`` at the ends; not cut to :data:`DNS_LABEL_MAX` (the caller knows what it adds to it)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def as_label_value(text: str) -> str:
    """``text`` as a valid label value: each run of other characters made one ``-``, cut to
    :data:`LABEL_VALUE_MAX`, without non-alphanumerics at the ends."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text)[:LABEL_VALUE_MAX].strip("-_.")


# --- node names --------------------------------------------------------------------------------------


def _rerooted(name: str, root: str, new_root: str) -> str:
    """``name`` with its root node's name ``root`` replaced by ``new_root``; ``name`` itself when
    it is not ``root`` or a node below it (``wf``, ``wf[0].x``, ``wf.t``, not ``wfx.t``)."""
    if root and (name == root or name.startswith((f"{root}[", f"{root}."))):
        return new_root + name[len(root) :]
    return name


def argo_node_name(relative: str, workflow_name: str, entrypoint: str) -> str:
    """The name Argo gives the node the executors call ``relative`` (``main[0].step`` ->
    ``wf[0].step``): the inverse of :func:`relative_node_name`."""
    return _rerooted(relative, entrypoint, workflow_name)


def relative_node_name(name: str, workflow_name: str | None, entrypoint: str) -> str:
    """Argo's node name (``python-job-x7k2p[0].fetch``) rooted at the entrypoint, as the executors
    name nodes (``main[0].fetch``); a name not below the workflow's root stays as it is."""
    if not workflow_name or not entrypoint:
        return name
    return _rerooted(name, workflow_name, entrypoint)
