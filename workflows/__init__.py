"""SpiffWorkflow 3.2 adapter: BPMN deployment checks, versioned specs, the script engine,
spec-reference serialization and pure commands over serialized workflow state.

Allowed imports: the standard library, SpiffWorkflow, lxml and jsonschema. Never ``app``,
``workers``, ``flask`` or ``flask_sqlalchemy`` (enforced by import-linter). No database: the
caller (``app.processes.services``) loads and saves the state this package returns.
"""
