"""The restricted evaluator for every piece of Python a BPMN file carries.

Scripts, pre/post scripts, gateway and event conditions, timer expressions, service-task
parameters, message payloads and ``crm_due`` all run here, never through plain ``eval``/``exec``:

- **An AST whitelist**, checked at deploy (``workflows.deploy``) and again before running (a
  version deployed before this check existed is refused at run time, not executed): no
  ``import``, no function/class definitions, no ``try``/``with``/``global``/``match``/``async``,
  no name or attribute that starts with ``_`` (dunder or private), no attribute that reaches an
  interpreter frame or formats objects by attribute path (``format``, ``gi_frame``, ``f_globals``
  …), and no builtin name outside ``SAFE_BUILTINS`` (``open``, ``eval``, ``exec``, ``getattr``,
  ``type``, ``object``, ``globals``, ``__import__`` …).
- **Only safe builtins** at run time: the code's ``__builtins__`` is ``SAFE_BUILTINS`` plus the
  engine's registered helpers; ``range`` is capped, and ``**``, ``*`` and ``<<`` refuse results
  that would take the process's memory or minutes of CPU in a single operation.
- **A step and time budget**: a per-thread ``sys.settrace`` tracer counts the lines the snippet
  runs and the Python calls it makes, and stops it with ``ScriptLimitExceeded`` after
  ``ScriptLimits.max_steps`` steps or ``max_seconds`` of wall-clock time. No signals: the engine
  runs in web threads.

Refusals raise ``UnsafeCode`` (a SyntaxError-like ``lineno`` for the deploy message) or, at run
time, ``ScriptRefused``; both limits and refusals are ``EngineError``s, so the command is rolled
back and nothing is saved.
"""

from __future__ import annotations

import ast
import builtins
import copy
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from types import CodeType, FrameType
from typing import Any, Literal

from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

from .errors import EngineError

Mode = Literal["exec", "eval"]

# The file name of compiled snippets. SpiffWorkflow looks for "<string>" frames in a traceback
# to report the line of a failing script, so keep its name.
SCRIPT_FILENAME = "<string>"

# Largest range(), sequence repetition and integer a single operation may build.
MAX_RANGE = 1_000_000
MAX_SEQUENCE = 10_000_000
MAX_INT_BITS = 100_000


class UnsafeCode(Exception):
    """A snippet uses something the restricted evaluator does not allow (deploy-time check)."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        self.message = message
        self.lineno = lineno
        super().__init__(message)


class ScriptRefused(EngineError):
    """A snippet reached the engine that the restricted evaluator does not allow."""


class ScriptLimitExceeded(EngineError):
    """A snippet ran past its step or time budget (or tried to build a huge value)."""


# -- what code may use ---------------------------------------------------------------------------


def _capped_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise ScriptLimitExceeded(f"range() of {len(result)} items is over the limit of {MAX_RANGE}")
    return result


SAFE_BUILTINS: dict[str, Any] = {
    "abs": abs, "all": all, "any": any, "bool": bool, "callable": callable, "chr": chr, "dict": dict,
    "divmod": divmod, "enumerate": enumerate, "filter": filter, "float": float, "frozenset": frozenset,
    "int": int, "isinstance": isinstance, "len": len, "list": list, "map": map, "max": max, "min": min,
    "hex": hex, "iter": iter, "next": next, "ord": ord, "repr": repr, "range": _capped_range,
    "reversed": reversed, "round": round, "set": set,
    "slice": slice, "sorted": sorted, "str": str, "sum": sum, "tuple": tuple, "zip": zip,
    "None": None, "True": True, "False": False,
    # Exceptions a guard script may raise (``raise ValueError("...")``); catching is not allowed.
    "Exception": Exception, "ValueError": ValueError, "TypeError": TypeError, "KeyError": KeyError,
    "LookupError": LookupError, "ArithmeticError": ArithmeticError, "ZeroDivisionError": ZeroDivisionError,
}

# Builtins that are never available, even as a data variable's name: a snippet naming one is refused
# at deploy so the analyst learns at once (at run time it would only be a NameError).
DENIED_NAMES = frozenset(name for name in dir(builtins) if name not in SAFE_BUILTINS) | {
    "builtins", "sys", "os",
}

# Attributes that reach interpreter internals without a leading underscore.
DENIED_ATTRIBUTES = frozenset({
    "format", "format_map",  # "{0.__class__}".format(x) walks attributes
    "mro",
    "gi_frame", "gi_code", "gi_yieldfrom", "gi_running",
    "cr_frame", "cr_code", "cr_await", "cr_origin",
    "ag_frame", "ag_code", "ag_await",
    "f_back", "f_builtins", "f_code", "f_globals", "f_locals", "f_trace",
    "tb_frame", "tb_next",
    "co_code", "co_consts", "co_names",
    "func_globals", "func_code",
})

_DENIED_NODES: dict[type[ast.AST], str] = {
    ast.Import: "import statements", ast.ImportFrom: "import statements",
    ast.FunctionDef: "function definitions (def)", ast.AsyncFunctionDef: "function definitions (def)",
    ast.ClassDef: "class definitions", ast.Global: "global statements", ast.Nonlocal: "nonlocal statements",
    ast.With: "with statements", ast.AsyncWith: "with statements", ast.AsyncFor: "async for",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
    ast.Try: "try statements", ast.Match: "match statements",
}
if sys.version_info >= (3, 11):
    _DENIED_NODES[ast.TryStar] = "try statements"


def check_tree(tree: ast.AST) -> None:
    """Raise UnsafeCode for the first construct, name or attribute the evaluator does not allow."""
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        denied = _DENIED_NODES.get(type(node))
        if denied is not None:
            raise UnsafeCode(f"{denied} are not allowed", line)
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise UnsafeCode(f"the name {node.id!r} is not allowed (names may not start with '_')", line)
            if node.id in DENIED_NAMES:
                raise UnsafeCode(f"the name {node.id!r} is not allowed (not a safe builtin)", line)
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                raise UnsafeCode(f"the attribute {node.attr!r} is not allowed (attributes may not start with '_')",
                                 line)
            if node.attr in DENIED_ATTRIBUTES:
                raise UnsafeCode(f"the attribute {node.attr!r} is not allowed", line)
        elif isinstance(node, ast.arg) and node.arg.startswith("_"):
            raise UnsafeCode(f"the name {node.arg!r} is not allowed (names may not start with '_')", line)
        elif isinstance(node, ast.keyword) and node.arg is not None and node.arg.startswith("_"):
            raise UnsafeCode(f"the keyword {node.arg!r} is not allowed (names may not start with '_')", line)


def parse_snippet(source: str, mode: Mode) -> ast.AST:
    """Parse like the engine runs it (``eval`` skips leading blanks) and check it.

    Raises SyntaxError or UnsafeCode.
    """
    tree = ast.parse(source.lstrip(" \t") if mode == "eval" else source, filename=SCRIPT_FILENAME, mode=mode)
    check_tree(tree)
    return tree


# -- operations that could take the process down in one step ------------------------------------


def _guard_pow(base: Any, exponent: Any) -> Any:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if base.bit_length() * exponent > MAX_INT_BITS:
            raise ScriptLimitExceeded(f"{base} ** {exponent} is too large")
    return base**exponent


def _guard_mult(left: Any, right: Any) -> Any:
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, (str, bytes, list, tuple)) and isinstance(times, int):
            if len(seq) * times > MAX_SEQUENCE:
                raise ScriptLimitExceeded(f"repeating a sequence {times} times is over the limit")
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise ScriptLimitExceeded("the product is too large")
    return left * right


def _guard_lshift(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int) and right > 0 and left.bit_length() + right > MAX_INT_BITS:
        raise ScriptLimitExceeded(f"{left} << {right} is too large")
    return left << right


_GUARDS: dict[type[ast.operator], tuple[str, Any]] = {
    ast.Pow: ("__crm_pow__", _guard_pow),
    ast.Mult: ("__crm_mult__", _guard_mult),
    ast.LShift: ("__crm_lshift__", _guard_lshift),
}
# Injected into every snippet's globals; user code cannot name them (the leading "_" is refused).
GUARD_GLOBALS = {name: function for name, function in _GUARDS.values()}


class _GuardOperations(ast.NodeTransformer):
    """Rewrite ``a ** b``, ``a * b``, ``a << b`` (and their augmented forms) into guarded calls."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        guard = _GUARDS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(id=guard[0], ctx=ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        guard = _GUARDS.get(type(node.op))
        if guard is None:
            return node
        load = copy.deepcopy(node.target)
        for sub in ast.walk(load):
            if hasattr(sub, "ctx"):
                sub.ctx = ast.Load()
        load.ctx = ast.Load()  # type: ignore[attr-defined]
        value = ast.Call(func=ast.Name(id=guard[0], ctx=ast.Load()), args=[load, node.value], keywords=[])
        return ast.copy_location(ast.Assign(targets=[node.target], value=value), node)


@lru_cache(maxsize=4096)
def compile_snippet(source: str, mode: Mode) -> CodeType:
    """Check and compile a snippet (cached). Raises SyntaxError or UnsafeCode."""
    tree = _GuardOperations().visit(parse_snippet(source, mode))
    ast.fix_missing_locations(tree)
    return compile(tree, SCRIPT_FILENAME, mode)  # type: ignore[no-any-return]


# -- the step and time budget ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptLimits:
    """Budget of one snippet run: traced steps (lines of the snippet + Python calls) and seconds."""

    max_steps: int = 200_000
    max_seconds: float = 2.0


_active = threading.local()


class _Budget:
    # Check the clock every this many steps: time.monotonic() per line would double the cost.
    CLOCK_EVERY = 256

    def __init__(self, limits: ScriptLimits) -> None:
        self.limits = limits
        self.steps = 0
        self.deadline = time.monotonic() + limits.max_seconds

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise ScriptLimitExceeded(
                f"The script was stopped after {self.limits.max_steps} steps (an endless loop?)")
        if self.steps % self.CLOCK_EVERY == 0 and time.monotonic() > self.deadline:
            raise ScriptLimitExceeded(f"The script was stopped after running {self.limits.max_seconds:g} s")

    def trace_call(self, frame: FrameType, event: str, arg: Any) -> Any:
        self.tick()
        # Lines are counted only in the snippet's own frames (comprehensions and lambdas included);
        # helpers and builtins it calls count one step per Python call.
        return self.trace_line if frame.f_code.co_filename == SCRIPT_FILENAME else None

    def trace_line(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.tick()
        return self.trace_line


@contextmanager
def budget(limits: ScriptLimits) -> Iterator[None]:
    """Run the body under a step/time budget (this thread only; nested budgets share the outer one)."""
    if getattr(_active, "budget", None) is not None:
        yield
        return
    previous = sys.gettrace()
    _active.budget = _Budget(limits)
    sys.settrace(_active.budget.trace_call)
    try:
        yield
    finally:
        sys.settrace(previous)
        _active.budget = None


# -- the environment the script engine uses -------------------------------------------------------


def _compiled(source: str, mode: Mode) -> CodeType:
    try:
        return compile_snippet(source, mode)
    except UnsafeCode as e:
        line = f" (line {e.lineno})" if e.lineno and mode == "exec" else ""
        raise ScriptRefused(f"Refused to run the {'script' if mode == 'exec' else 'expression'}: "
                            f"{e.message}{line}") from e


class RestrictedEnvironment(TaskDataEnvironment):  # type: ignore[misc]
    """SpiffWorkflow's task-data environment with checked code, safe builtins and a budget.

    Same data semantics as ``TaskDataEnvironment``: an expression sees the helpers and the task
    data; a script's assignments become task data, and the helpers (and any callable) are removed
    from it afterwards.
    """

    def __init__(self, helpers: Mapping[str, Any], limits: ScriptLimits | None = None) -> None:
        for name in helpers:
            if not name.isidentifier() or name.startswith("_"):
                raise ValueError(f"Script helper names must be identifiers without a leading '_': {name!r}")
        super().__init__(dict(helpers))
        self.limits = limits or ScriptLimits()

    def _base_globals(self, external_context: Mapping[str, Any] | None) -> dict[str, Any]:
        base = dict(self.globals)
        base.update(external_context or {})
        base.update(GUARD_GLOBALS)  # after the external context: nothing may replace the guards
        return base

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: Mapping[str, Any] | None = None) -> Any:
        code = _compiled(expression, "eval")
        scope = self._base_globals(external_context)
        scope.update(context)
        scope.update(GUARD_GLOBALS)
        scope["__builtins__"] = SAFE_BUILTINS
        with budget(self.limits):
            return eval(code, scope)

    def execute(self, script: str, context: dict[str, Any],
                external_context: Mapping[str, Any] | None = None) -> bool:
        code = _compiled(script, "exec")
        self.check_for_overwrite(context, external_context or {})
        context.update(self._base_globals(external_context))
        context["__builtins__"] = SAFE_BUILTINS
        try:
            with budget(self.limits):
                exec(code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
            for name in GUARD_GLOBALS:
                context.pop(name, None)
        return True
