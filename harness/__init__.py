"""argo-parity: prove that two Argo Workflows manifest builders produce the same workflows.

The package reads as the pipeline: ``scenarios`` -> ``builders`` -> ``normalize`` -> ``diff`` ->
``execute`` -> ``rollout`` -> ``report``, with ``cli`` and ``pytest_plugin`` as two thin front
doors over the same engine (``engine``).
"""

__version__ = "0.1.0"
