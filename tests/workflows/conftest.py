"""Fixtures for the pure workflows package: a real Engine, a recording services dict, no Flask/DB."""

from __future__ import annotations

import pytest

from workflows.engine import Engine

from .support import BPMN_DIR, FORMS_DIR, SERVICE_NAMES, ServiceRecorder


@pytest.fixture
def recorder() -> ServiceRecorder:
    return ServiceRecorder()


@pytest.fixture
def engine(recorder: ServiceRecorder) -> Engine:
    services = {name: recorder.service(name) for name in SERVICE_NAMES}
    helpers = {"with_vat": lambda amount: round(amount * 1.2, 2)}
    eng = Engine(services, helpers, FORMS_DIR)
    eng.load_version("assignment-v1", (BPMN_DIR / "assignment.bpmn").read_text(encoding="utf-8"))
    return eng
