"""Static agreement of every record kind with its BPMN file and the labels (one source for statuses).

- each status task of the kind's process names a status of the kind, and its allowed_next too;
- every status of the kind is a status task, or terminal (an end of the process), or never a target;
- every status has an English label in its vocabulary (app/labels.py) and the card form exists;
- every service-task operator used in bpmn/ is registered with the engine.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import ROOT

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"


def _status_tasks(path: Path) -> dict[str, list[str]]:
    """status id → allowed_next of every status user task in a BPMN file."""
    tasks: dict[str, list[str]] = {}
    for task in ET.parse(path).iter(f"{BPMN}userTask"):
        props = {p.get("name"): p.get("value") for p in task.iter(f"{SPIFF}property")}
        if props.get("crm_kind") == "status":
            tasks[str(props["status"])] = [s for s in str(props.get("allowed_next", "")).split(",") if s]
    return tasks


def _kinds(app):
    from app.records.kinds import registered_kinds

    with app.app_context():
        return registered_kinds()


def test_kinds_are_registered(app) -> None:
    assert {k.name for k in _kinds(app)} >= {"lead", "deal"}


@pytest.mark.parametrize("name", ["lead", "deal"])
def test_bpmn_status_tasks_agree_with_the_kind(app, name: str) -> None:
    from app.labels import LABELS

    kind = next(k for k in _kinds(app) if k.name == name)
    tasks = _status_tasks(ROOT / "bpmn" / f"{kind.process_id}.bpmn")
    assert tasks, f"{kind.process_id}.bpmn has no status tasks"
    statuses = set(kind.status_ids)
    assert set(tasks) <= statuses, f"status tasks not declared by the {name} kind: {set(tasks) - statuses}"
    for status, allowed in tasks.items():
        assert set(allowed) <= statuses, f"{status}: allowed_next outside the kind: {set(allowed) - statuses}"
    targets = {s for allowed in tasks.values() for s in allowed}
    for spec in kind.statuses:
        reachable = spec.id in tasks or spec.is_terminal or spec.id not in targets
        assert reachable, f"{spec.id} is a target but neither a status task nor terminal"
        if spec.is_terminal:
            assert spec.id not in tasks, f"terminal status {spec.id} must end the process, not be a hub status"
    assert kind.initial_status in tasks
    vocabulary = LABELS[kind.status_vocabulary]
    assert set(vocabulary) == statuses, f"labels and statuses differ: {set(vocabulary) ^ statuses}"
    assert (ROOT / "forms" / kind.card_form).is_file()


def test_every_service_operator_in_bpmn_is_registered(app) -> None:
    used = set()
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        used |= {op.get("id") for op in ET.parse(path).iter(f"{SPIFF}serviceTaskOperator")}
    registered = set(app.extensions["crm_engine"].services)
    assert used <= registered, f"operators used in bpmn/ but not registered: {used - registered}"
    assert {"crm.set_status", "crm.set_responsible"} <= used
