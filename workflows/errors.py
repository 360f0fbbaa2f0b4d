"""Errors raised by the workflows package; ``app.processes.services`` translates them."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base class of every error this package raises."""


class BpmnDeployError(WorkflowError):
    """A BPMN file (or a form it names) is refused at deploy time."""

    def __init__(
        self, file_name: str, message: str, line: int | None = None, element_id: str | None = None
    ) -> None:
        self.file_name = file_name
        self.line = line
        self.element_id = element_id
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file_name
        if self.line is not None:
            where += f":{self.line}"
        if self.element_id:
            where += f" [element {self.element_id}]"
        return f"{where}: {self.message}"


class TaskNotReady(WorkflowError):
    """The task is unknown, not READY, or not a manual (user/manual) task."""


class TaskDataInvalid(WorkflowError):
    """Submitted form data failed validation; ``errors`` maps field name ("" = form) to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k or 'form'}: {v}" for k, v in sorted(self.errors.items())))


class EngineError(WorkflowError):
    """A script, expression or service failed while the engine ran; the state must be discarded."""

    def __init__(self, message: str, element_id: str | None = None) -> None:
        self.element_id = element_id
        self.message = message
        super().__init__(f"[element {element_id}] {message}" if element_id else message)


class IllegalTransition(WorkflowError):
    """A status change that the current status task does not allow (or no status task is ready).

    ``current`` is the status of the ready status task (None when there is none), ``allowed``
    the statuses it may move to (empty when there is none).
    """

    def __init__(self, current: str | None, requested: str, allowed: list[str]) -> None:
        self.current = current
        self.requested = requested
        self.allowed = list(allowed)
        if current is None:
            message = f"Cannot change the status to {requested!r}: the process is not in a status step"
        else:
            choices = ", ".join(self.allowed) or "none"
            message = f"Cannot change the status from {current!r} to {requested!r} (allowed: {choices})"
        super().__init__(message)


class NotWaiting(WorkflowError):
    """A message was sent to an instance that is not waiting for it; nothing was changed."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"The process is not waiting for the message {name!r}")
