"""Binding of user tasks to JSON Schema forms (spiff-arena's property names) and validation.

``form_for_task`` is the only reader of ``formJsonSchemaFilename`` / ``formUiSchemaFilename``.

What a client may write into a process is exactly what the form declares (``form_payload``):
unknown keys are refused, a task (or status transition) without a form takes only ``{}``, and a
form may never declare a routing variable (``check_field_names``, checked at deploy).
"""

from __future__ import annotations

import copy
import json
import threading
from functools import lru_cache
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from .errors import TaskDataInvalid

FORM_PROPERTY = "formJsonSchemaFilename"
UI_FORM_PROPERTY = "formUiSchemaFilename"

_cache_lock = threading.Lock()
_schema_cache: dict[Path, tuple[int, dict[str, Any]]] = {}
_format_checker = FormatChecker()

# Routing variables: what the app and the process write into task data themselves (record ids,
# the status hub's status/next_status, the completer's login). A form field with one of these
# names would let a client steer the process, so forms may not declare them: exactly these
# names, any name ending in ``_id`` (record and user ids), and the engine's ``crm_`` prefix.
RESERVED_FIELDS = frozenset({"id", "status", "next_status", "completed_by"})
RESERVED_SUFFIX = "_id"
RESERVED_PREFIX = "crm_"

UNKNOWN_FIELD = "This field is not part of the form."


def task_properties(task_spec: Any) -> dict[str, str]:
    """The ``spiffworkflow:properties`` of a task spec (empty for non-spiff specs)."""
    extensions = getattr(task_spec, "extensions", None) or {}
    props = extensions.get("properties") or {}
    return {str(k): str(v) for k, v in props.items()}


def form_for_task(task_spec: Any) -> tuple[str | None, str | None]:
    """Return ``(json_schema_path, ui_schema_path)`` relative to ``forms/``, each possibly None."""
    props = task_properties(task_spec)
    return (props.get(FORM_PROPERTY) or None, props.get(UI_FORM_PROPERTY) or None)


@lru_cache(maxsize=1024)
def resolve_form_path(forms_dir: Path, rel_path: str) -> Path:
    """Resolve ``rel_path`` under ``forms_dir``; ValueError when it escapes the directory.

    Cached: resolving costs several ``lstat`` calls, and the inbox asks for every listed task.
    """
    root = forms_dir.resolve()
    if not rel_path or Path(rel_path).is_absolute():
        raise ValueError(f"Form path must be relative to the forms directory: {rel_path!r}")
    path = (root / rel_path).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"Form path escapes the forms directory: {rel_path!r}")
    return path


def load_schema(forms_dir: Path, rel_path: str) -> dict[str, Any]:
    """Load a JSON document under ``forms_dir`` (cached by mtime).

    Raises ValueError for a path outside ``forms_dir`` or a document that is not a JSON object,
    FileNotFoundError when it does not exist. The returned dict is shared: do not mutate it.
    """
    path = resolve_form_path(forms_dir, rel_path)
    mtime = path.stat().st_mtime_ns
    with _cache_lock:
        cached = _schema_cache.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{rel_path}: invalid JSON at line {e.lineno}: {e.msg}") from e
    if not isinstance(document, dict):
        raise ValueError(f"{rel_path}: a form schema must be a JSON object")
    with _cache_lock:
        _schema_cache[path] = (mtime, document)
    return document


def _message(error: ValidationError) -> str:
    kind = error.validator
    value: Any = error.validator_value
    if kind == "required":
        return "This field is required."
    if kind == "minLength":
        return "This field is required." if value == 1 else f"Enter at least {value} characters."
    if kind == "maxLength":
        return f"Enter at most {value} characters."
    if kind in ("enum", "const"):
        return "Select a valid choice."
    if kind in ("oneOf", "anyOf") and all(isinstance(o, dict) and "const" in o for o in value or []):
        return "Select a valid choice."  # a choice list, e.g. a resolved directory
    if kind == "type":
        expected = value if isinstance(value, str) else "/".join(str(v) for v in value)
        return {
            "integer": "Enter a whole number.",
            "number": "Enter a number.",
            "boolean": "Choose yes or no.",
            "string": "Enter text.",
            "array": "Enter a list of values.",
            "object": "Enter a valid value.",
        }.get(expected, f"Enter a value of type {expected}.")
    if kind == "format":
        return {
            "date": "Enter a valid date.",
            "date-time": "Enter a valid date and time.",
            "email": "Enter a valid email address.",
            "uri": "Enter a valid URL.",
            "time": "Enter a valid time.",
        }.get(str(value), f"Enter a valid {value}.")
    if kind == "minimum":
        return f"Enter a value greater than or equal to {value}."
    if kind == "exclusiveMinimum":
        return f"Enter a value greater than {value}."
    if kind == "maximum":
        return f"Enter a value less than or equal to {value}."
    if kind == "exclusiveMaximum":
        return f"Enter a value less than {value}."
    if kind == "pattern":
        return "Enter a value in the expected format."
    if kind == "additionalProperties":
        return "Unexpected fields were submitted."
    if kind in ("minItems", "maxItems", "uniqueItems"):
        return "Check the selected values."
    return "Enter a valid value."


def validate_form_data(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """Validate ``data`` with Draft 2020-12 plus the format checker.

    Returns field name → human-readable message (first error per field; "" for form-level
    errors); an empty dict means valid. A ``required`` error is keyed by the missing property.
    """
    validator = Draft202012Validator(schema, format_checker=_format_checker)
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        if error.validator == "required" and not error.absolute_path:
            instance = error.instance if isinstance(error.instance, dict) else {}
            for name in error.validator_value:
                if name not in instance:
                    errors.setdefault(str(name), _message(error))
            continue
        key = str(error.absolute_path[0]) if error.absolute_path else ""
        errors.setdefault(key, _message(error))
    return errors


def declared_fields(schema: dict[str, Any]) -> set[str]:
    """Top-level property names a schema declares (the only keys copied into task data)."""
    props = schema.get("properties")
    return set(props) if isinstance(props, dict) else set()


def is_reserved_field(name: str) -> bool:
    """True for a routing variable name that no form may declare (see ``RESERVED_FIELDS``)."""
    return name in RESERVED_FIELDS or name.endswith(RESERVED_SUFFIX) or name.startswith(RESERVED_PREFIX)


def check_field_names(schema: Mapping[str, Any]) -> None:
    """ValueError naming the first top-level property that is a reserved routing variable."""
    for name in declared_fields(dict(schema)):
        if is_reserved_field(name):
            raise ValueError(
                f"the field {name!r} is a routing variable that clients may not write "
                f"(reserved: {', '.join(sorted(RESERVED_FIELDS))}, names ending in {RESERVED_SUFFIX!r} "
                f"or starting with {RESERVED_PREFIX!r}); rename it"
            )


SchemaResolver = Callable[[dict[str, Any]], dict[str, Any]]


def form_payload(
    schema: dict[str, Any] | None, data: Mapping[str, Any], resolve: SchemaResolver | None = None
) -> dict[str, Any]:
    """The task-data update a client's form ``data`` makes, or TaskDataInvalid.

    ``schema`` None means the step has no form: only ``{}`` is accepted. Otherwise every key of
    ``data`` must be a declared property (each unknown key gets its own field error), the data must
    validate against the schema (after ``resolve``, e.g. directory choices filled in by the app),
    and the payload holds exactly the declared fields (a missing one becomes None, so a value from an
    earlier round of a loop never leaks into this one). A declared field that is a reserved routing
    variable is never written (deploy refuses such forms; this covers versions deployed before).
    """
    if not isinstance(data, Mapping):
        raise TaskDataInvalid({"": "Enter a valid value."})
    if schema is None:
        if data:
            raise TaskDataInvalid({str(k): UNKNOWN_FIELD for k in data})
        return {}
    allowed = {name for name in declared_fields(schema) if not is_reserved_field(name)}
    errors = {str(k): UNKNOWN_FIELD for k in data if k not in allowed}
    checked = resolve(schema) if resolve is not None else schema
    for name, message in validate_form_data(checked, dict(data)).items():
        errors.setdefault(name, message)
    if errors:
        raise TaskDataInvalid(errors)
    return {k: copy.deepcopy(data.get(k)) for k in sorted(allowed)}
