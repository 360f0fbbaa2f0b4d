"""Deploy checks for the status hub convention and for plain bpmn:task elements."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows.deploy import check_bpmn
from workflows.errors import BpmnDeployError

from .support import BPMN_DIR, FORMS_DIR

FILE = "lead_qualification.bpmn"
XML = (BPMN_DIR / FILE).read_bytes()
DISQUALIFY = b"disqualified:lead_qualification/disqualify.schema.json"
NOT_PROCESSED_ALLOWED = b'name="allowed_next" value="interest_expressed,paused,disqualified,deal"'


def refused(xml: bytes, forms_dir: Path = FORMS_DIR) -> BpmnDeployError:
    with pytest.raises(BpmnDeployError) as excinfo:
        check_bpmn(xml, FILE, forms_dir)
    assert excinfo.value.file_name == FILE
    return excinfo.value


def replace_once(old: bytes, new: bytes) -> bytes:
    assert XML.count(old) == 1, old
    return XML.replace(old, new)


def test_the_lead_qualification_file_passes() -> None:
    [candidate] = check_bpmn(XML, FILE, FORMS_DIR)
    assert candidate.process_id == "lead_qualification"
    assert candidate.name == "Lead qualification"


def test_status_task_without_status() -> None:
    error = refused(replace_once(b'name="status" value="not_processed"', b'name="colour" value="red"'))
    assert error.element_id == "status_not_processed"
    assert error.line is not None
    assert "'status'" in error.message


def test_status_task_without_allowed_next() -> None:
    error = refused(replace_once(NOT_PROCESSED_ALLOWED, b'name="allowed_next" value=" , "'))
    assert error.element_id == "status_not_processed"
    assert "allowed_next" in error.message


def test_status_task_that_allows_itself() -> None:
    error = refused(
        replace_once(NOT_PROCESSED_ALLOWED, b'name="allowed_next" value="not_processed,paused"')
    )
    assert error.element_id == "status_not_processed"
    assert "itself" in error.message


def test_bad_status_id() -> None:
    error = refused(replace_once(NOT_PROCESSED_ALLOWED, b'name="allowed_next" value="paused,Deal Won"'))
    assert error.element_id == "status_not_processed"
    assert "'Deal Won'" in error.message


def test_transition_form_that_does_not_exist() -> None:
    xml = XML.replace(DISQUALIFY, b"disqualified:lead_qualification/nope.schema.json", 1)
    error = refused(xml)
    assert error.element_id == "status_not_processed"
    assert "lead_qualification/nope.schema.json" in error.message
    assert "does not exist" in error.message


def test_transition_form_that_is_not_a_valid_schema(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    (forms / "lead_qualification").mkdir(parents=True)
    for name in ("escalation.schema.json", "disqualify.schema.json"):
        (forms / "lead_qualification" / name).write_text(
            (FORMS_DIR / "lead_qualification" / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    broken = {"type": "object", "properties": {"disqualification_reason": {"type": "strng"}}}
    (forms / "lead_qualification" / "broken.schema.json").write_text(json.dumps(broken))
    xml = XML.replace(DISQUALIFY, b"disqualified:lead_qualification/broken.schema.json", 1)
    error = refused(xml, forms)
    assert error.element_id == "status_not_processed"
    assert "invalid" in error.message and "properties/disqualification_reason/type" in error.message


def test_transition_form_that_escapes_the_forms_directory() -> None:
    error = refused(XML.replace(DISQUALIFY, b"disqualified:../../etc/passwd", 1))
    assert "escapes the forms directory" in error.message


@pytest.mark.parametrize(
    "value, expected",
    [
        (b"disqualified lead_qualification/disqualify.schema.json", "expected '<status>:<form path>'"),
        (b"disqualified:", "expected '<status>:<form path>'"),
        (b"historical:lead_qualification/disqualify.schema.json", "'historical' is not in allowed_next"),
        (DISQUALIFY + b";" + DISQUALIFY, "listed twice"),
    ],
)
def test_malformed_transition_forms(value: bytes, expected: str) -> None:
    error = refused(XML.replace(DISQUALIFY, value, 1))
    assert error.element_id == "status_not_processed"
    assert expected in error.message


def test_status_kind_on_something_else_than_a_user_task() -> None:
    xml = XML.replace(
        b'<spiffworkflow:property name="crm_due" value="take_sla_at" />',
        b'<spiffworkflow:property name="crm_due" value="take_sla_at" />'
        b'<spiffworkflow:property name="crm_kind" value="status" />',
    )
    # still a userTask: refused for missing status/allowed_next
    assert refused(xml).element_id == "take_to_work"

    script_with_kind = XML.replace(
        b'<bpmn:serviceTask id="create_deal" name="Create deal">\n      <bpmn:extensionElements>',
        b'<bpmn:serviceTask id="create_deal" name="Create deal">\n      <bpmn:extensionElements>'
        b'<spiffworkflow:properties><spiffworkflow:property name="crm_kind" value="status" />'
        b"</spiffworkflow:properties>",
    )
    assert script_with_kind != XML
    error = refused(script_with_kind)
    assert error.element_id == "create_deal"
    assert "userTask" in error.message


def test_plain_task_is_refused() -> None:
    xml = XML.replace(b'<bpmn:userTask id="take_to_work"', b'<bpmn:task id="take_to_work"').replace(
        b"<bpmn:outgoing>flow_to_assign_claimer</bpmn:outgoing>\n    </bpmn:userTask>",
        b"<bpmn:outgoing>flow_to_assign_claimer</bpmn:outgoing>\n    </bpmn:task>",
    )
    assert b'<bpmn:task id="take_to_work"' in xml and b"</bpmn:task>" in xml
    error = refused(xml)
    assert error.element_id == "take_to_work"
    assert error.line == XML[: XML.index(b'<bpmn:userTask id="take_to_work"')].count(b"\n") + 1
    assert "bpmn:task" in error.message and "wait forever" in error.message
