"""Static agreement of the order and payment kinds with their BPMN files and labels (as
test_record_kind_statuses checks the lead and the deal): every status task names a status of the kind, every
allowed move too, a target status is a status task or ends the process — except the order's "approving", which is
the Commercial Director's approval task — and every status has a label."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.conftest import ROOT
from tests.workflows.test_record_kind_statuses import BPMN, _status_tasks

# Statuses a process holds in a user task that is not a status task (an inbox task decides the next status).
DECIDED_BY_TASK = {"order": {"approving": "approve_order"}, "payment": {}}


@pytest.mark.parametrize("name", ["order", "payment"])
def test_bpmn_status_tasks_agree_with_the_kind(app, name: str) -> None:
    from app.labels import LABELS
    from app.records.kinds import get_kind

    with app.app_context():
        kind = get_kind(name)
    path = ROOT / "bpmn" / f"{kind.process_id}.bpmn"
    tasks = _status_tasks(path)
    statuses = set(kind.status_ids)
    assert set(tasks) <= statuses and kind.initial_status in tasks
    for status, allowed in tasks.items():
        assert set(allowed) <= statuses, f"{status}: allowed_next outside the kind: {set(allowed) - statuses}"
    user_tasks = {t.get("id") for t in ET.parse(path).iter(f"{BPMN}userTask")}
    targets = {s for allowed in tasks.values() for s in allowed}
    for spec in kind.statuses:
        by_task = DECIDED_BY_TASK[name].get(spec.id)
        assert spec.id in tasks or spec.is_terminal or spec.id not in targets or by_task in user_tasks, spec.id
        if spec.is_terminal:
            assert spec.id not in tasks, f"terminal status {spec.id} must end the process"
    assert set(LABELS[kind.status_vocabulary]) == statuses
    assert (ROOT / "forms" / kind.card_form).is_file()
