"""A small backend that runs users' analysis tasks as Argo Workflows: the code a team brings.

``tasks_legacy.start_task`` is how it submits today (a YAML template, ``V1ObjectMeta``, dict
edits, ``create_namespaced_custom_object`` after a PVC check); ``tasks_hera.start_task`` is the
Hera port written the way a first proof of concept writes it, traps included;
``tasks_hera_fixed.start_task`` is the port once argo-parity has pointed at each trap.
"""
