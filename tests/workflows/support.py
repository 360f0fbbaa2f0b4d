"""Shared constants and the recording service registry for the workflows tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
FORMS_DIR = ROOT / "forms"
DATA_DIR = ROOT / "tests" / "data"

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)
DUE_AT = "2025-03-05T23:59:59+03:00"  # = 2025-03-05 20:59:59 UTC


@dataclass
class ServiceRecorder:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)

    def service(self, name: str) -> Callable[..., Any]:
        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            if name in self.fail:
                raise RuntimeError(f"{name} is down")
            return {"ok": True}

        return call

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


SERVICE_NAMES = (
    "crm.record_assignment_result",
    "crm.record_review",
    "crm.set_assignment_status",
    "crm.notify",
)
