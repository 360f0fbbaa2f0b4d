"""Deploy checks: broken files are refused with file, line/element and message; the repo's files pass."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from workflows.deploy import check_bpmn, scan_bpmn_dir
from workflows.errors import BpmnDeployError

from .support import BPMN_DIR, DATA_DIR, FORMS_DIR


def refused(file_name: str, forms_dir: Path = FORMS_DIR) -> BpmnDeployError:
    xml = (DATA_DIR / file_name).read_bytes()
    with pytest.raises(BpmnDeployError) as excinfo:
        check_bpmn(xml, file_name, forms_dir)
    error = excinfo.value
    assert error.file_name == file_name
    assert str(error).startswith(file_name)
    return error


def test_malformed_xml_names_file_and_line() -> None:
    error = refused("broken_malformed.bpmn")
    assert error.line == 11
    assert "tag mismatch" in error.message
    assert str(error).startswith("broken_malformed.bpmn:11: ")


def test_xsd_violation_names_line_and_element() -> None:
    error = refused("broken_xsd.bpmn")
    assert error.line == 8
    assert error.element_id == "end"
    assert "colour" in error.message and "not allowed" in error.message


def test_script_syntax_error_names_element_and_line() -> None:
    error = refused("broken_script.bpmn")
    assert error.element_id == "compute_total"
    assert error.line == 12  # the line of the unclosed bracket inside the script
    assert "never closed" in error.message
    assert str(error).startswith("broken_script.bpmn:12 [element compute_total]: ")


def test_condition_syntax_error_names_the_sequence_flow() -> None:
    error = refused("broken_condition.bpmn")
    assert error.element_id == "flow_big"
    assert error.line == 14
    assert "condition" in error.message


def test_missing_form_file() -> None:
    error = refused("broken_missing_form.bpmn")
    assert error.element_id == "fill_in_survey"
    assert error.line == 8
    assert "broken_missing_form/no_such_form.schema.json" in error.message
    assert "does not exist" in error.message


def test_invalid_form_schema_and_escaping_path(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    (forms / "broken_missing_form").mkdir(parents=True)
    schema_path = forms / "broken_missing_form" / "no_such_form.schema.json"
    schema_path.write_text(json.dumps({"type": "object", "properties": {"x": {"type": "strng"}}}))
    error = refused("broken_missing_form.bpmn", forms)
    assert "invalid" in error.message and "properties/x/type" in error.message

    xml = (DATA_DIR / "broken_missing_form.bpmn").read_bytes().replace(
        b"broken_missing_form/no_such_form.schema.json", b"../../etc/passwd"
    )
    with pytest.raises(BpmnDeployError) as excinfo:
        check_bpmn(xml, "escape.bpmn", forms)
    assert "escapes the forms directory" in excinfo.value.message


def test_spiff_semantic_error_gets_element_and_line() -> None:
    xml = (BPMN_DIR / "assignment.bpmn").read_bytes()
    start = xml.index(b'<spiffworkflow:serviceTaskOperator id="crm.record_assignment_result">')
    closing = b"</spiffworkflow:serviceTaskOperator>"
    end = xml.index(closing, start) + len(closing)
    broken = xml[:start] + xml[end:]
    with pytest.raises(BpmnDeployError) as excinfo:
        check_bpmn(broken, "assignment.bpmn", FORMS_DIR)
    assert excinfo.value.element_id == "record_result"
    assert excinfo.value.line is not None
    assert "operator" in excinfo.value.message


def test_broken_timer_and_service_parameter_expressions() -> None:
    xml = (BPMN_DIR / "assignment.bpmn").read_bytes()
    with pytest.raises(BpmnDeployError) as excinfo:
        check_bpmn(xml.replace(b">due_at</bpmn:timeDate>", b">due_at +</bpmn:timeDate>"), "a.bpmn", FORMS_DIR)
    assert excinfo.value.element_id == "assignment_overdue"
    with pytest.raises(BpmnDeployError) as excinfo:
        check_bpmn(xml.replace(b"value=\"'rework'\"", b"value=\"'rework\""), "a.bpmn", FORMS_DIR)
    assert excinfo.value.element_id == "return_for_rework"
    assert "service parameter" in excinfo.value.message


def test_candidate_for_the_assignment_process() -> None:
    xml = (BPMN_DIR / "assignment.bpmn").read_bytes()
    [candidate] = check_bpmn(xml, "assignment.bpmn", FORMS_DIR)
    assert candidate.process_id == "assignment"
    assert candidate.name == "Assignment"
    assert candidate.sha256 == hashlib.sha256(xml).hexdigest()
    assert candidate.xml == xml.decode("utf-8")
    assert candidate.file_name == "assignment.bpmn"


def test_every_repo_bpmn_file_passes() -> None:
    candidates = scan_bpmn_dir(BPMN_DIR, FORMS_DIR)
    files = sorted(p.name for p in BPMN_DIR.glob("*.bpmn"))
    assert sorted({c.file_name for c in candidates}) == files
    assert "assignment" in {c.process_id for c in candidates}
    for candidate in candidates:
        assert candidate.file_name == f"{candidate.process_id}.bpmn"  # STYLE: bpmn/<process_id>.bpmn


def test_scan_stops_at_the_first_broken_file(tmp_path: Path) -> None:
    (tmp_path / "a_good.bpmn").write_bytes((BPMN_DIR / "assignment.bpmn").read_bytes())
    (tmp_path / "b_bad.bpmn").write_bytes((DATA_DIR / "broken_xsd.bpmn").read_bytes())
    with pytest.raises(BpmnDeployError) as excinfo:
        scan_bpmn_dir(tmp_path, FORMS_DIR)
    assert excinfo.value.file_name == "b_bad.bpmn"


@pytest.mark.parametrize(
    "schema_path", sorted(FORMS_DIR.glob("**/*.schema.json")), ids=lambda p: str(p.relative_to(FORMS_DIR))
)
def test_every_form_schema_passes_its_metaschema(schema_path: Path) -> None:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema.get("type") == "object"
    for name in schema.get("properties", {}):
        assert name == name.lower() and name.isidentifier(), name
