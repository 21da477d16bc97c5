"""What Argo Workflows and Kubernetes specify, written once, each fact with where it comes from.

The pipeline stages (builders, normalize, diff, execute, argo) read Argo's and Kubernetes' rules
from here instead of writing their own copies, so the builders' refusals, the differ's verdicts
and the executors' runs cannot disagree about what Argo does:

- :mod:`harness.spec.tags`: Argo's ``{{...}}`` template tags: the syntax, the variables Argo
  resolves, and the one resolver (find, substitute, report unresolved).
- :mod:`harness.spec.naming`: Argo's node ids and pod names (FNV-1a, v1/v2), Kubernetes' hostname.
- :mod:`harness.spec.fields`: field tables: identity of list items, defaults, presence, types
  (integer, IntOrString, quantity), metadata, live-object fields, pod scheduling fields.
- :mod:`harness.spec.kubernetes_vars`: the kubelet's ``$(VAR)`` / ``$$`` expansion.

Data-like modules and small pure functions only: nothing here imports a pipeline stage (as Hera
keeps its generated models apart from the logic that uses them).
"""
