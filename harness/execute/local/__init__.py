"""The ``local`` executor: each pod in a bubblewrap sandbox, each ``python:X.Y`` image a fresh uv
environment (see :mod:`harness.execute.local.executor`).

- :mod:`~harness.execute.local.executor`: ``LocalExecutor`` and its pod runner;
- :mod:`~harness.execute.local.sandbox`: one program in a bubblewrap sandbox, to its deadline;
- :mod:`~harness.execute.local.cgroup`: the pids limit of a sandbox;
- :mod:`~harness.execute.local.python_image`: the local stand-in for a ``python:X.Y`` image (a uv
  environment, the pip shim);
- :mod:`~harness.execute.local.index_proxy`: the package index proxy, an installing pod's only way out;
- :mod:`~harness.execute.local.hosts`: the package index's addresses, resolved once for all pods
  (the docker executor pins them too).
"""

from __future__ import annotations

from harness.execute.local.executor import INSTALL_HINT, LocalExecutor, LocalPodRunner, cgroup_available

__all__ = ["INSTALL_HINT", "LocalExecutor", "LocalPodRunner", "cgroup_available"]
