"""Form binding and validation messages; the injectable clock."""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from workflows import clock
from workflows.forms import form_for_task, load_schema, validate_form_data

from .support import FORMS_DIR


def test_form_for_task_reads_spiff_properties() -> None:
    spec = SimpleNamespace(
        extensions={
            "properties": {"formJsonSchemaFilename": "a/b.schema.json", "formUiSchemaFilename": "a/b.ui.json"}
        }
    )
    assert form_for_task(spec) == ("a/b.schema.json", "a/b.ui.json")
    assert form_for_task(SimpleNamespace(extensions={})) == (None, None)
    assert form_for_task(SimpleNamespace()) == (None, None)


def test_load_schema_caches_by_mtime_and_refuses_escapes(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    target = tmp_path / "p" / "f.schema.json"
    target.write_text(json.dumps({"type": "object", "title": "One"}))
    assert load_schema(tmp_path, "p/f.schema.json")["title"] == "One"
    assert load_schema(tmp_path, "p/f.schema.json") is load_schema(tmp_path, "p/f.schema.json")

    target.write_text(json.dumps({"type": "object", "title": "Two"}))
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert load_schema(tmp_path, "p/f.schema.json")["title"] == "Two"

    for bad in ("../outside.json", "/etc/passwd", "p/../../x.json", ""):
        with pytest.raises(ValueError):
            load_schema(tmp_path, bad)


def test_validation_messages_are_keyed_by_field() -> None:
    schema = {
        "type": "object",
        "required": ["name", "count"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "count": {"type": "integer", "minimum": 1},
            "email": {"type": "string", "format": "email"},
            "on": {"type": "string", "format": "date"},
            "kind": {"enum": ["a", "b"]},
        },
        "additionalProperties": False,
    }
    assert validate_form_data(schema, {"name": "x", "count": 2}) == {}
    errors = validate_form_data(
        schema, {"count": "3", "email": "nope", "on": "2025-02-30", "kind": "c", "extra": 1}
    )
    assert errors == {
        "name": "This field is required.",
        "count": "Enter a whole number.",
        "email": "Enter a valid email address.",
        "on": "Enter a valid date.",
        "kind": "Select a valid choice.",
        "": "Unexpected fields were submitted.",
    }
    assert validate_form_data(schema, {"name": "x", "count": 0}) == {
        "count": "Enter a value greater than or equal to 1."
    }


def test_repo_forms_load() -> None:
    schema = load_schema(FORMS_DIR, "assignment/complete_assignment.schema.json")
    assert schema["properties"]["result_comment"]["widget"] == "textarea"


def test_clock_frozen_is_context_local() -> None:
    at = datetime(2030, 1, 1, 12, tzinfo=timezone(timedelta(hours=3)))
    real = clock.now()
    assert real.tzinfo is not None
    with clock.frozen(at):
        assert clock.now() == at and clock.now().utcoffset() == timedelta(0)
        seen: list[datetime] = []
        thread = threading.Thread(target=lambda: seen.append(clock.now()))
        thread.start()
        thread.join()
        assert seen[0] != at  # another thread keeps the real clock
    assert clock.now() - real < timedelta(minutes=1)
    with pytest.raises(ValueError):
        with clock.frozen(datetime(2030, 1, 1)):
            pass


def test_spiff_timer_module_uses_the_clock_once_installed() -> None:
    import SpiffWorkflow.bpmn.specs.event_definitions.timer as timer_module

    clock.install_spiff_timer_clock()
    clock.install_spiff_timer_clock()  # idempotent
    patched = timer_module.datetime
    assert patched is not datetime and issubclass(patched, datetime)
    at = datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    with clock.frozen(at):
        assert patched.now(timezone.utc) == at
    assert abs(patched.now(timezone.utc) - datetime.now(timezone.utc)) < timedelta(seconds=5)
    assert patched.fromisoformat("2025-01-01T00:00:00+00:00") == datetime(2025, 1, 1, tzinfo=timezone.utc)
