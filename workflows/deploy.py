"""Deploy-time checks of BPMN files: XSD, spiff semantics, Python snippets and forms.

A file that fails any check is refused with ``BpmnDeployError`` naming the file, the line
and/or the element id. Nothing here touches a database; the app stores the candidates.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree

from .errors import BpmnDeployError
from .forms import FORM_PROPERTY, UI_FORM_PROPERTY, check_field_names, resolve_form_path
from .sandbox import UnsafeCode, parse_snippet
from .statuses import (
    ALLOWED_NEXT_PROPERTY,
    KIND_PROPERTY,
    STATUS_KIND,
    STATUS_PROPERTY,
    TRANSITION_FORMS_PROPERTY,
    check_status_id,
    parse_allowed_next,
    parse_transition_forms,
)

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NSMAP = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

# Spiff property evaluated by workflows.runtime to compute a human task's due date.
DUE_PROPERTY = "crm_due"

Mode = Literal["exec", "eval"]

# (xpath to the element carrying the code, attribute holding it or None for the text, mode, label)
_SNIPPETS: tuple[tuple[str, str | None, Mode, str], ...] = (
    ("//bpmn:scriptTask/bpmn:script", None, "exec", "script"),
    ("//spiffworkflow:preScript", None, "exec", "pre-script"),
    ("//spiffworkflow:postScript", None, "exec", "post-script"),
    ("//bpmn:sequenceFlow/bpmn:conditionExpression", None, "eval", "condition"),
    ("//bpmn:conditionalEventDefinition/bpmn:condition", None, "eval", "condition"),
    ("//bpmn:timerEventDefinition/bpmn:timeDate", None, "eval", "timer expression"),
    ("//bpmn:timerEventDefinition/bpmn:timeDuration", None, "eval", "timer expression"),
    ("//bpmn:timerEventDefinition/bpmn:timeCycle", None, "eval", "timer expression"),
    ("//bpmn:loopCardinality", None, "eval", "loop cardinality"),
    ("//bpmn:completionCondition", None, "eval", "completion condition"),
    ("//spiffworkflow:messagePayload", None, "eval", "message payload"),
    ("//bpmn:correlationPropertyRetrievalExpression/bpmn:formalExpression", None, "eval", "correlation expression"),
    ("//spiffworkflow:serviceTaskOperator//spiffworkflow:parameter", "value", "eval", "service parameter"),
    (f"//spiffworkflow:property[@name='{DUE_PROPERTY}']", "value", "eval", f"{DUE_PROPERTY} property"),
)


@dataclass(frozen=True)
class DeployCandidate:
    """One executable process of a checked BPMN file, ready to be stored as a version."""

    process_id: str
    name: str
    sha256: str
    xml: str
    file_name: str


def _owner_id(element: Any) -> str | None:
    """The id of the nearest element (itself or an ancestor) that has one.

    Only BPMN elements count, minus event definitions: the event that owns a timer, or the task
    that owns a ``spiffworkflow:parameter id="..."``, is what an analyst looks for.
    """
    node = element
    while node is not None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag.startswith("{%s}" % BPMN_NS) and not tag.endswith("EventDefinition") and node.get("id"):
            return str(node.get("id"))
        node = node.getparent()
    return None


def _id_at_line(tree: Any, line: int | None) -> str | None:
    if line is None:
        return None
    for node in tree.iter():
        if isinstance(node.tag, str) and node.sourceline == line and node.get("id"):
            return str(node.get("id"))
    return None


def _line_of(tree: Any, element_id: str | None) -> int | None:
    if not element_id:
        return None
    for node in tree.iter():
        if isinstance(node.tag, str) and node.get("id") == element_id:
            return int(node.sourceline) if node.sourceline is not None else None
    return None


def compile_snippet(source: str, mode: Mode) -> None:
    """Parse like the script engine will run it (``eval`` skips leading blanks and tabs) and check it
    against the restricted evaluator's rules. Raises SyntaxError or ``sandbox.UnsafeCode``."""
    parse_snippet(source, mode)


def _check_python(tree: Any, file_name: str) -> None:
    for xpath, attribute, mode, label in _SNIPPETS:
        for element in tree.xpath(xpath, namespaces=NSMAP):
            source = element.get(attribute) if attribute else element.text
            owner = _owner_id(element)
            base_line = element.sourceline
            if source is None or not source.strip():
                raise BpmnDeployError(file_name, f"Empty {label}", line=base_line, element_id=owner)
            try:
                compile_snippet(source, mode)
            except SyntaxError as e:
                line = base_line
                if attribute is None and base_line is not None and e.lineno:
                    line = base_line + e.lineno - 1
                offending = (e.text or "").strip() or source.strip()
                raise BpmnDeployError(
                    file_name,
                    f"Python syntax error in {label}: {e.msg} in {offending[:120]!r}",
                    line=line,
                    element_id=owner,
                ) from e
            except UnsafeCode as e:
                line = base_line
                if attribute is None and base_line is not None and e.lineno:
                    line = base_line + e.lineno - 1
                raise BpmnDeployError(
                    file_name,
                    f"Not allowed in {label}: {e.message}. BPMN code may use task data, the safe builtins "
                    "and the registered helpers only",
                    line=line,
                    element_id=owner,
                ) from e


def _task_property(task: Any, name: str) -> str | None:
    found = task.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name=$n]",
        namespaces=NSMAP,
        n=name,
    )
    return str(found[0].get("value")) if found else None


def _load_json(forms_dir: Path, rel_path: str) -> Any:
    path = resolve_form_path(forms_dir, rel_path)
    if not path.is_file():
        raise ValueError(f"Form file {rel_path} does not exist under {forms_dir}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"Form file {rel_path} is not valid JSON (line {e.lineno}: {e.msg})") from e


def check_form_file(forms_dir: Path, rel_path: str, *, ui: bool = False) -> None:
    """Raise ValueError unless ``rel_path`` is a JSON object (and, unless ``ui``, a valid schema whose
    field names are not reserved routing variables: ``forms.check_field_names``)."""
    document = _load_json(forms_dir, rel_path)
    if not isinstance(document, dict):
        raise ValueError(f"Form file {rel_path} must contain a JSON object")
    if not ui:
        try:
            Draft202012Validator.check_schema(document)
        except SchemaError as e:
            path = "/".join(str(p) for p in e.absolute_path) or "(root)"
            raise ValueError(f"Form schema {rel_path} is invalid at {path}: {e.message}") from e
        try:
            check_field_names(document)
        except ValueError as e:
            raise ValueError(f"Form schema {rel_path}: {e}") from e


def _check_forms(tree: Any, file_name: str, forms_dir: Path) -> None:
    for task in tree.xpath("//bpmn:userTask | //bpmn:manualTask", namespaces=NSMAP):
        for name, is_ui in ((FORM_PROPERTY, False), (UI_FORM_PROPERTY, True)):
            rel_path = _task_property(task, name)
            if rel_path is None:
                continue
            try:
                check_form_file(forms_dir, rel_path, ui=is_ui)
            except ValueError as e:
                raise BpmnDeployError(
                    file_name, str(e), line=task.sourceline, element_id=task.get("id")
                ) from e


def _check_plain_tasks(tree: Any, file_name: str) -> None:
    """Refuse ``bpmn:task``: SpiffWorkflow makes it a manual step nobody can see or complete."""
    for task in tree.xpath("//bpmn:task", namespaces=NSMAP):
        raise BpmnDeployError(
            file_name,
            "A plain task (bpmn:task) would wait forever: make it a userTask, manualTask, "
            "scriptTask or serviceTask",
            line=task.sourceline,
            element_id=task.get("id"),
        )


def _check_status_task(task: Any, forms_dir: Path) -> None:
    status = _task_property(task, STATUS_PROPERTY)
    if status is None or not status.strip():
        raise ValueError(f"A status task needs the property {STATUS_PROPERTY!r}")
    status = check_status_id(status, STATUS_PROPERTY)
    allowed_text = _task_property(task, ALLOWED_NEXT_PROPERTY)
    allowed = parse_allowed_next(allowed_text or "")
    if not allowed:
        raise ValueError(f"A status task needs the property {ALLOWED_NEXT_PROPERTY!r} (comma-separated ids)")
    if status in allowed:
        raise ValueError(f"{ALLOWED_NEXT_PROPERTY}: a status cannot move to itself ({status!r})")
    forms = parse_transition_forms(_task_property(task, TRANSITION_FORMS_PROPERTY) or "")
    for next_status, rel_path in forms.items():
        if next_status not in allowed:
            raise ValueError(
                f"{TRANSITION_FORMS_PROPERTY}: {next_status!r} is not in {ALLOWED_NEXT_PROPERTY}"
            )
        check_form_file(forms_dir, rel_path)


def _check_status_tasks(tree: Any, file_name: str, forms_dir: Path) -> None:
    xpath = (
        "//spiffworkflow:properties/spiffworkflow:property"
        f"[@name='{KIND_PROPERTY}' and normalize-space(@value)='{STATUS_KIND}']"
    )
    for prop in tree.xpath(xpath, namespaces=NSMAP):
        task = prop.getparent().getparent().getparent()  # properties / extensionElements / task
        tag = task.tag if isinstance(task.tag, str) else ""
        if tag != "{%s}userTask" % BPMN_NS:
            raise BpmnDeployError(
                file_name,
                f"{KIND_PROPERTY}={STATUS_KIND} is only allowed on a bpmn:userTask",
                line=prop.sourceline,
                element_id=_owner_id(prop),
            )
        try:
            _check_status_task(task, forms_dir)
        except ValueError as e:
            raise BpmnDeployError(
                file_name, str(e), line=task.sourceline, element_id=task.get("id")
            ) from e


def spiff_message(e: BaseException) -> str:
    """The message of a SpiffWorkflow exception without its trailing ". " and with its notes."""
    message = str(e.args[0]) if e.args else type(e).__name__
    notes = [str(n) for n in getattr(e, "notes", None) or [] if n]
    return f"{message} ({'; '.join(notes)})" if notes else message


def _parse_with_spiff(xml: bytes, file_name: str, tree: Any) -> list[str]:
    """Run the XSD and SpiffWorkflow's semantic checks; return the executable process ids."""
    # Imported here: building the XSD validator costs ~70 ms and belongs to the first deploy.
    from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
    from SpiffWorkflow.exceptions import SpiffWorkflowException
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_str(xml, filename=file_name)
        process_ids = list(parser.get_process_ids())
        for process_id in process_ids:
            parser.get_spec(process_id)
            parser.get_subprocess_specs(process_id)
    except ValidationException as e:
        line = e.line_number if isinstance(e.line_number, int) and e.line_number else None
        element_id = getattr(e, "id", None) or _id_at_line(tree, line)
        message = spiff_message(e).replace("{%s}" % BPMN_NS, "bpmn:")
        message = message.replace("{%s}" % SPIFF_NS, "spiffworkflow:")
        raise BpmnDeployError(
            file_name, message, line=line or _line_of(tree, element_id), element_id=element_id
        ) from e
    except SpiffWorkflowException as e:
        raise BpmnDeployError(file_name, spiff_message(e)) from e
    if not process_ids:
        raise BpmnDeployError(file_name, "No executable process (set isExecutable=\"true\")")
    return process_ids


def check_bpmn(xml: bytes, file_name: str, forms_dir: Path) -> list[DeployCandidate]:
    """Check one BPMN file; return one candidate per executable process.

    Raises BpmnDeployError for malformed XML, an XSD or SpiffWorkflow validation failure,
    a Python snippet that does not compile or uses what the restricted evaluator refuses
    (``workflows.sandbox``), a plain ``bpmn:task``, a missing/invalid form schema (or one declaring
    a reserved routing variable),
    or a status task (``crm_kind=status``) without ``status``/``allowed_next`` or with a
    ``transition_forms`` entry that is malformed, not an allowed next status, or not a valid schema.
    """
    try:
        tree: Any = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as e:
        line = e.lineno if isinstance(e.lineno, int) else None
        raise BpmnDeployError(file_name, f"Malformed XML: {e.msg}", line=line) from e
    process_ids = _parse_with_spiff(xml, file_name, tree)
    _check_python(tree, file_name)
    _check_plain_tasks(tree, file_name)
    _check_forms(tree, file_name, forms_dir)
    _check_status_tasks(tree, file_name, forms_dir)

    digest = hashlib.sha256(xml).hexdigest()
    try:
        text = xml.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BpmnDeployError(file_name, "BPMN files must be UTF-8 encoded") from e
    candidates = []
    for process_id in process_ids:
        found = tree.xpath("//bpmn:process[@id=$pid]", namespaces=NSMAP, pid=process_id)
        name = (found[0].get("name") if found else None) or process_id
        candidates.append(
            DeployCandidate(process_id=process_id, name=name, sha256=digest, xml=text, file_name=file_name)
        )
    return candidates


def scan_bpmn_dir(bpmn_dir: Path, forms_dir: Path) -> list[DeployCandidate]:
    """Check every ``*.bpmn`` in ``bpmn_dir`` (sorted); raise on the first broken file."""
    candidates: list[DeployCandidate] = []
    for path in sorted(bpmn_dir.glob("*.bpmn")):
        candidates.extend(check_bpmn(path.read_bytes(), path.name, forms_dir))
    return candidates
