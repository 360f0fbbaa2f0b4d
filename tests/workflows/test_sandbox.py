"""The restricted evaluator: unsafe BPMN code is refused at deploy and at run time, runaway code is
stopped by the step/time budget, and ordinary process code still runs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from workflows import runtime
from workflows.deploy import check_bpmn, scan_bpmn_dir
from workflows.engine import Engine
from workflows.errors import BpmnDeployError, EngineError
from workflows.sandbox import ScriptLimitExceeded, ScriptLimits, ScriptRefused

from .support import BPMN_DIR, DATA_DIR, FORMS_DIR, T0

LOOP_FILE = "sandbox_endless_loop.bpmn"
LOOP_SCRIPT = "while True:\n    pass"


def _loop_xml(script: str | None = None, condition: str | None = None) -> bytes:
    xml = (DATA_DIR / LOOP_FILE).read_text(encoding="utf-8")
    if script is not None:
        xml = xml.replace(LOOP_SCRIPT, script.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    if condition is not None:
        xml = xml.replace("amount &gt; 100", condition.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return xml.encode("utf-8")


def _engine(limits: ScriptLimits | None = None, **helpers: object) -> Engine:
    return Engine({}, helpers, FORMS_DIR, script_limits=limits)


def _run(engine: Engine, xml: bytes, data: dict[str, object] | None = None) -> runtime.Outcome:
    """Load a version without the deploy checks (as one deployed before they existed) and start it."""
    key = f"v-{hash(xml)}"
    engine.load_version(key, xml.decode("utf-8"))
    process_id = engine.process_ids(key)[0]
    return runtime.start(engine, key, process_id, dict(data or {"amount": 1}), T0)


# -- deploy -----------------------------------------------------------------------------------------


def test_deploy_refuses_a_script_that_imports_and_writes_a_file(tmp_path: Path) -> None:
    xml = (DATA_DIR / "sandbox_write_file.bpmn").read_bytes()
    with pytest.raises(BpmnDeployError) as excinfo:
        check_bpmn(xml, "sandbox_write_file.bpmn", FORMS_DIR)
    error = excinfo.value
    assert error.element_id == "write_file"
    assert error.line == 14  # the second line of the script
    assert "__import__" in error.message and "not allowed" in error.message
    assert str(error).startswith("sandbox_write_file.bpmn:14 [element write_file]: ")


@pytest.mark.parametrize(
    ("snippet", "needle"),
    [
        ("x = ().__class__.__base__.__subclasses__()", "__"),
        ("x = open('/etc/passwd').read()", "'open'"),
        ("import os", "import"),
        ("from os import path", "import"),
        ("x = eval('1')", "'eval'"),
        ("x = exec('x = 1')", "'exec'"),
        ("x = getattr(amount, 'real')", "'getattr'"),
        ("setattr(amount, 'x', 1)", "'setattr'"),
        ("x = globals()", "'globals'"),
        ("x = vars()", "'vars'"),
        ("x = type(amount)", "'type'"),
        ("x = object()", "'object'"),
        ("x = compile('1', 's', 'eval')", "'compile'"),
        ("x = '{0.__class__}'.format(amount)", "'format'"),
        ("x = [g for g in (y for y in [])][0].gi_frame", "'gi_frame'"),
        ("x = amount._private", "'_private'"),
        ("def f():\n    return 1", "def"),
        ("class A:\n    pass", "class"),
        ("try:\n    x = 1\nexcept Exception:\n    pass", "try"),
        ("with amount as x:\n    pass", "with"),
        ("global amount", "global"),
        ("x = lambda _y: 1", "'_y'"),
        ("x = dict(__class__=1)", "'__class__'"),
    ],
)
def test_deploy_refuses_unsafe_scripts_with_the_element_id(snippet: str, needle: str) -> None:
    with pytest.raises(BpmnDeployError) as excinfo:
        check_bpmn(_loop_xml(script=snippet), LOOP_FILE, FORMS_DIR)
    assert excinfo.value.element_id == "spin"
    assert "Not allowed in script" in excinfo.value.message
    assert needle in excinfo.value.message


def test_deploy_refuses_unsafe_conditions_with_the_flow_id() -> None:
    with pytest.raises(BpmnDeployError) as excinfo:
        check_bpmn(_loop_xml(script="x = 1", condition="amount.__class__ is int"), LOOP_FILE, FORMS_DIR)
    assert excinfo.value.element_id == "flow_big"
    assert "Not allowed in condition" in excinfo.value.message


def test_deploy_refuses_unsafe_timer_and_service_parameter_expressions() -> None:
    xml = (BPMN_DIR / "assignment.bpmn").read_bytes()
    with pytest.raises(BpmnDeployError) as excinfo:
        check_bpmn(xml.replace(b">due_at</bpmn:timeDate>", b">open('/etc/hostname').read()</bpmn:timeDate>"),
                   "a.bpmn", FORMS_DIR)
    assert excinfo.value.element_id == "assignment_overdue"
    assert "Not allowed in timer expression" in excinfo.value.message
    with pytest.raises(BpmnDeployError) as excinfo:
        check_bpmn(xml.replace(b"value=\"'rework'\"", b"value=\"'rework'.__class__\""), "a.bpmn", FORMS_DIR)
    assert excinfo.value.element_id == "return_for_rework"
    assert "Not allowed in service parameter" in excinfo.value.message


def test_the_repository_processes_pass_the_restricted_checks() -> None:
    assert {c.process_id for c in scan_bpmn_dir(BPMN_DIR, FORMS_DIR)} >= {"assignment", "lead_qualification"}
    check_bpmn(_loop_xml(), LOOP_FILE, FORMS_DIR)  # an endless loop is not a deploy error


# -- run time ---------------------------------------------------------------------------------------


def test_a_version_deployed_before_the_checks_cannot_write_a_file(tmp_path: Path) -> None:
    probe = tmp_path / "written-by-bpmn.txt"
    engine = _engine()
    with pytest.raises(ScriptRefused) as excinfo:
        _run(engine, (DATA_DIR / "sandbox_write_file.bpmn").read_bytes(), {"probe_path": str(probe)})
    assert excinfo.value.element_id == "write_file"
    assert "__import__" in excinfo.value.message
    assert not probe.exists()


def test_an_unsafe_condition_is_refused_at_run_time() -> None:
    with pytest.raises(ScriptRefused) as excinfo:
        _run(_engine(), _loop_xml(script="x = 1", condition="().__class__.__base__.__subclasses__()"))
    assert "__" in excinfo.value.message


def test_an_ordinary_script_error_names_the_element_and_removes_the_tracer() -> None:
    previous_trace = sys.gettrace()
    with pytest.raises(EngineError) as excinfo:
        _run(_engine(), _loop_xml(script="x = 1\ny = missing_name + 1"))
    assert excinfo.value.element_id == "spin"
    assert "missing_name" in excinfo.value.message
    assert sys.gettrace() is previous_trace


def test_an_endless_loop_is_stopped_by_the_step_budget() -> None:
    engine = _engine(ScriptLimits(max_steps=5_000, max_seconds=30))
    previous_trace = sys.gettrace()
    started = time.monotonic()
    with pytest.raises(ScriptLimitExceeded) as excinfo:
        _run(engine, _loop_xml())
    assert time.monotonic() - started < 2
    assert excinfo.value.element_id == "spin"
    assert "5000 steps" in excinfo.value.message
    assert sys.gettrace() is previous_trace  # the tracer is gone


def test_an_endless_loop_is_stopped_with_the_default_budget() -> None:
    started = time.monotonic()
    with pytest.raises(ScriptLimitExceeded):
        _run(_engine(), _loop_xml())
    assert time.monotonic() - started < ScriptLimits().max_seconds + 1


def test_a_slow_script_is_stopped_by_the_time_budget() -> None:
    engine = _engine(ScriptLimits(max_steps=10**9, max_seconds=0.3), pause=lambda: time.sleep(0.002))
    started = time.monotonic()
    with pytest.raises(ScriptLimitExceeded) as excinfo:
        _run(engine, _loop_xml(script="while True:\n    pause()"))
    assert time.monotonic() - started < 3
    assert "0.3 s" in excinfo.value.message


@pytest.mark.parametrize(
    "script",
    ["x = 'a' * 10**9", "x = 10 ** 10 ** 8", "x = 1 << 10**9", "x = list(range(10**9))", "x = [0]\nx *= 10**9"],
)
def test_one_huge_operation_is_refused(script: str) -> None:
    with pytest.raises(ScriptLimitExceeded):
        _run(_engine(), _loop_xml(script=script))


def test_ordinary_process_code_still_runs() -> None:
    script = (
        "items = sorted([3, 1, 2], key=lambda v: -v)\n"
        "total = sum(v * 2 for v in items) + max(items) ** 2\n"
        "label = f'{len(items)} items'.upper()\n"
        "counts = {k: v for k, v in zip('abc', range(3))}\n"
        "total *= 2\n"
        "counts['a'] += 5\n"
        "flags = [isinstance(total, int), any(items), round(2.5)]\n"
        "rounded = with_vat(amount)\n"
        "if total > 10:\n    big = True\nelse:\n    big = False\n"
        "del items"
    )
    engine = _engine(with_vat=lambda amount: round(amount * 1.2, 2))
    outcome = _run(engine, _loop_xml(script=script), {"amount": 150})
    assert outcome.is_completed
    data = outcome.data
    assert data["total"] == (2 * (3 + 2 + 1) + 9) * 2 and data["label"] == "3 ITEMS"
    assert data["counts"] == {"a": 5, "b": 1, "c": 2} and data["flags"] == [True, True, 2]
    assert data["rounded"] == 180.0 and data["big"] is True and "items" not in data
    assert "with_vat" not in data and not any(k.startswith("__") for k in data)
    json.dumps(outcome.state)


def test_helper_names_must_be_usable_in_scripts() -> None:
    with pytest.raises(ValueError):
        _engine(_hidden=lambda: 1)
