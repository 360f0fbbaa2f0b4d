"""The SpiffWorkflow engine of the CRM: script engine, version cache and spec-ref serializer.

One ``Engine`` per process. It holds the parsed specs of every loaded version, the script engine
(services + helper globals) and one serializer whose workflow converter stores only a reference
to the spec (``{"version": <version key>, "process_id": ...}``) instead of embedding it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from . import clock
from .deploy import spiff_message
from .errors import BpmnDeployError, EngineError, WorkflowError
from .sandbox import RestrictedEnvironment, ScriptLimits

# Every logger SpiffWorkflow creates. Each gets its own level: Task.collect_log_extras() checks the
# *own* level of 'spiff.task' (not the effective one) to decide whether to attach task data.
_SPIFF_LOGGERS = ("spiff", "spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn")

SpecPair = tuple[Any, dict[str, Any]]  # (BpmnProcessSpec, {subprocess id: spec})


def _task_element_id(task: Any) -> str | None:
    spec = getattr(task, "task_spec", None)
    return (getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)) if spec is not None else None


class _CrmScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """Script engine whose snippets run in the restricted evaluator (``workflows.sandbox``) and whose
    service tasks call the functions the app registered by name."""

    def __init__(
        self,
        services: Mapping[str, Callable[..., Any]],
        helpers: Mapping[str, Any],
        limits: ScriptLimits | None = None,
    ) -> None:
        super().__init__(environment=RestrictedEnvironment(helpers, limits))
        self._services = services

    # SpiffWorkflow wraps whatever a snippet raises into a WorkflowTaskException that keeps only the
    # expression text; a refused snippet or a spent budget passes through as our own EngineError,
    # named after its element, so the message says what happened.

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except EngineError as e:
            if e.element_id is not None:
                raise
            raise type(e)(e.message, element_id=_task_element_id(task)) from e
        except SpiffWorkflowException as e:
            e.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as e:
            raise WorkflowTaskException(f"Error evaluating expression '{expression}'", task=task, exception=e) from e

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except EngineError as e:
            if e.element_id is not None:
                raise
            raise type(e)(e.message, element_id=_task_element_id(task)) from e
        except Exception as e:
            error = self.create_task_exec_exception(task, script, e)  # may be `e` itself, with notes
            raise error

    def call_service(  # type: ignore[override]
        self, task: Any, operation_name: str, operation_params: Mapping[str, Any], **kwargs: Any
    ) -> str:
        element_id = getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name
        service = self._services.get(operation_name)
        if service is None:
            raise EngineError(f"Unknown service operation {operation_name!r}", element_id=element_id)
        params = {name: param["value"] for name, param in operation_params.items()}
        try:
            result = service(**params)
        except WorkflowError:
            raise
        except Exception as e:
            raise EngineError(
                f"Service {operation_name!r} failed: {e.__class__.__name__}: {e}", element_id=element_id
            ) from e
        try:
            return json.dumps(result)
        except (TypeError, ValueError) as e:
            raise EngineError(
                f"Service {operation_name!r} returned a value that is not JSON-serializable: {e}",
                element_id=element_id,
            ) from e


class _SpecRefWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Serializes a BpmnWorkflow without its spec; restores it with the cached spec of its version.

    ``to_dict`` mirrors ``BpmnWorkflowConverter.to_dict`` minus ``spec``/``subprocess_specs``;
    ``from_dict`` puts the already-parsed spec objects back where the dicts were, which
    ``registry.restore`` passes through unchanged, and lets the base class rebuild the workflow
    (task tree, subprocesses, events).
    """

    def __init__(self, registry: Any, engine: Engine) -> None:
        super().__init__(BpmnWorkflow, registry)
        self.engine = engine

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        version_key, process_id = self.engine._version_of(workflow.spec)
        dct["spec_ref"] = {"version": version_key, "process_id": process_id}
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        ref = dct.pop("spec_ref")
        spec, subprocess_specs = self.engine._specs(ref["version"], ref["process_id"])
        dct["spec"] = spec
        dct["subprocess_specs"] = dict(subprocess_specs)
        return super().from_dict(dct)


def _build_registry(engine: Engine) -> Any:
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]))
    # The timer module's clock-aware datetime subclass must never break serialization.
    registry.register(
        clock._ClockDatetime,
        lambda v: {"value": v.isoformat()},
        lambda d: datetime.fromisoformat(d["value"]),
        "datetime",
    )
    _SpecRefWorkflowConverter(registry, engine)
    return registry


class Engine:
    """Parsed versions, the script engine and the serializer; share one per process."""

    def __init__(
        self,
        services: Mapping[str, Callable[..., Any]],
        helpers: Mapping[str, Any],
        forms_dir: Path,
        script_limits: ScriptLimits | None = None,
    ) -> None:
        """Raises ValueError for a helper name that scripts could not use (not an identifier, or
        starting with ``_``)."""
        for name in _SPIFF_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        clock.install_spiff_timer_clock()
        self.forms_dir = Path(forms_dir)
        self.services: dict[str, Callable[..., Any]] = dict(services)
        self.helpers: dict[str, Any] = dict(helpers)
        self.script_engine = _CrmScriptEngine(self.services, self.helpers, script_limits)
        self._lock = threading.Lock()
        self._serialize_lock = threading.Lock()
        self._versions: dict[str, dict[str, SpecPair]] = {}
        self._spec_index: dict[int, tuple[str, str]] = {}
        self._serializer = BpmnWorkflowSerializer(_build_registry(self))

    # -- versions ---------------------------------------------------------------------------

    def load_version(self, version_key: str, xml: str) -> None:
        """Parse ``xml`` and cache its executable processes under ``version_key`` (idempotent).

        No XSD validation here: the file passed ``deploy.check_bpmn`` when it was deployed.
        Raises BpmnDeployError if SpiffWorkflow cannot parse it.
        """
        with self._lock:
            if version_key in self._versions:
                return
            parser = SpiffBpmnParser()
            specs: dict[str, SpecPair] = {}
            try:
                parser.add_bpmn_str(xml.encode("utf-8"), filename=version_key)
                for process_id in parser.get_process_ids():
                    specs[process_id] = (
                        parser.get_spec(process_id),
                        parser.get_subprocess_specs(process_id),
                    )
            except SpiffWorkflowException as e:
                raise BpmnDeployError(version_key, spiff_message(e)) from e
            except Exception as e:  # lxml syntax errors and the like
                raise BpmnDeployError(version_key, f"{e.__class__.__name__}: {e}") from e
            for process_id, (spec, _subs) in specs.items():
                self._spec_index[id(spec)] = (version_key, process_id)
            self._versions[version_key] = specs

    def has_version(self, version_key: str) -> bool:
        return version_key in self._versions

    def process_ids(self, version_key: str) -> list[str]:
        """The executable process ids of a loaded version."""
        return list(self._require(version_key))

    def _require(self, version_key: str) -> dict[str, SpecPair]:
        specs = self._versions.get(version_key)
        if specs is None:
            raise EngineError(f"Process version {version_key!r} is not loaded")
        return specs

    def _specs(self, version_key: str, process_id: str) -> SpecPair:
        specs = self._require(version_key)
        if process_id not in specs:
            raise EngineError(f"Process {process_id!r} is not in version {version_key!r}")
        return specs[process_id]

    def _version_of(self, spec: Any) -> tuple[str, str]:
        found = self._spec_index.get(id(spec))
        if found is None:
            name = getattr(spec, "name", spec)
            raise EngineError(f"Workflow spec {name!r} does not belong to a loaded version")
        return found

    # -- workflows --------------------------------------------------------------------------

    def new_workflow(self, version_key: str, process_id: str) -> Any:
        spec, subprocess_specs = self._specs(version_key, process_id)
        return BpmnWorkflow(spec, dict(subprocess_specs), script_engine=self.script_engine)

    def dump(self, workflow: Any) -> dict[str, Any]:
        """Serialize to a JSON-compatible dict (no spec inside)."""
        # The registry's `_encoder_mode` flag is shared by every serialization: one at a time.
        with self._serialize_lock:
            text = self._serializer.serialize_json(workflow)
        state: dict[str, Any] = json.loads(text)
        return state

    def load(self, state: Mapping[str, Any], version_key: str | None = None) -> Any:
        """Restore a workflow from ``dump()`` output and attach the script engine.

        ``state`` is not modified. Raises EngineError when its version is not loaded or differs
        from ``version_key``.
        """
        ref = state.get("spec_ref") if isinstance(state, Mapping) else None
        if not isinstance(ref, dict) or "version" not in ref or "process_id" not in ref:
            raise EngineError("Workflow state has no spec reference")
        if version_key is not None and ref["version"] != version_key:
            raise EngineError(f"Workflow state belongs to version {ref['version']!r}, not {version_key!r}")
        self._require(ref["version"])
        workflow = self._serializer.deserialize_json(json.dumps(state))
        workflow.script_engine = self.script_engine
        return workflow

    def evaluate(self, task: Any, expression: str) -> Any:
        """Evaluate a Python expression over a task's data with the helper globals (restricted)."""
        return self.script_engine.evaluate(task, expression)
