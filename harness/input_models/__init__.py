"""Input models: what a suite's builders take, validated, generated and called one way.

- :mod:`harness.input_models.python_job`: the built-in model, the python job both reference
  builders take (:class:`Inputs`, its defaults and scenario kinds); scenarios, fuzzing, the
  minimiser and promotion all read it from there.
- :mod:`harness.input_models.model`: :class:`InputModel` (``InputModel.from_reference("pkg.mod:Model")``
  for a pydantic model, a dataclass or a TypedDict), :class:`CallMode` (``dict``, ``kwargs``,
  ``model``) and :func:`resolve_input_model`.

For a front door (``--inputs-model``, ``--call``, ``[tool.parity]``)::

    model = InputModel.from_reference(reference, option="--inputs-model")   # ParityInputError if bad
    mode = call_mode(value, option="--call")
    scenarios = load_scenarios(folder, input_model=model)
    RunConfig(..., inputs_model=reference, call=mode)
"""

from harness.input_models.model import (
    BUILTIN_INPUT_MODEL_REF,
    CALL_OPTION,
    DEFAULT_INPUT_MODEL,
    INPUTS_MODEL_OPTION,
    CallMode,
    InputModel,
    InputsInvalid,
    ModelInputs,
    call_mode,
    resolve_input_model,
    written_location,
)
from harness.input_models.python_job import (
    BUILTIN_SCENARIO_KINDS,
    DEFAULT_INPUTS,
    SIMPLEST_INPUTS,
    Inputs,
    python_job_kind,
)

__all__ = [
    "BUILTIN_INPUT_MODEL_REF",
    "BUILTIN_SCENARIO_KINDS",
    "CALL_OPTION",
    "DEFAULT_INPUTS",
    "DEFAULT_INPUT_MODEL",
    "INPUTS_MODEL_OPTION",
    "SIMPLEST_INPUTS",
    "CallMode",
    "InputModel",
    "Inputs",
    "InputsInvalid",
    "ModelInputs",
    "call_mode",
    "python_job_kind",
    "resolve_input_model",
    "written_location",
]
