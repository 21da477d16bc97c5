"""The multi-phase workflow: the second pair of reference builders (the built-in ``phases`` suite).

SynapseDTE's 7-phase data-testing cycle (background/synapse-workflow-analysis.md) moving from a
hard-coded dependency table to configuration-driven workflow definitions:

- :mod:`~harness.builders.phases.legacy`: the hard-coded ``PHASE_DEPENDENCIES`` chain (YAML
  template + dict edits, ``dependencies: [...]``);
- :mod:`~harness.builders.phases.hera`: a workflow definition (:mod:`~harness.builders.phases.definitions`)
  built with Hera's DAG (``a >> b``, ``depends``);
- :mod:`~harness.builders.phases.activity`: what each phase runs, shared by both (the migration
  moves the orchestration, not the activities), and which records each phase reads;
- :mod:`~harness.builders.phases.metadata`: the label and annotation keys both follow.

Inputs: :class:`harness.input_models.phases.PhasesInputs`. docs/phases.md describes the suite.
"""

LEGACY_REF = "harness.builders.phases.legacy:build"
NEW_REF = "harness.builders.phases.hera:build"
INPUTS_MODEL_REF = "harness.input_models.phases:PhasesInputs"
