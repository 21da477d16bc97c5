"""``package.module:attr`` references, the one way a user names their code: builders, input
models and fuzz strategies alike."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from harness.errors import ParityInputError


def import_reference(
    reference: str, *, what: str, form: str, option: str, contain: bool, shown: str | None = None
) -> Any:
    """The object ``reference`` names (``attr`` may be dotted). Errors are ``ParityInputError``
    naming ``option``; a malformed reference is "``what`` ``shown`` must look like ``form``".

    ``contain``: an exception the module raises at import is bad input too. Builders pass
    False: their import runs in the isolated builder host, which reports such a crash itself.
    """
    shown = reference if shown is None else shown
    module_name, sep, attr_path = reference.partition(":")
    if not sep or not module_name or not attr_path:
        raise ParityInputError(f"{what} {shown!r} must look like {form}", field=option)
    # Like uvicorn and gunicorn: a reference is resolved from the working directory too, so
    # `parity run --new myapp.jobs:build` works from a project's root without installing it.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ParityInputError(f"cannot import {module_name!r}: {exc}", field=option) from None
    except Exception as exc:
        if not contain:
            raise
        raise ParityInputError(f"importing {module_name!r} raised {type(exc).__name__}: {exc}", field=option) from None
    for part in attr_path.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ParityInputError(f"{module_name!r} has no attribute {attr_path!r}", field=option) from None
    return target
