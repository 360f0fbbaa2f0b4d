"""Background processes: the RQ jobs, the worker entry point, the clock and the embedded Redis.

Role: run the durable side effects the web process enqueues (mail intake, document rendering, BPMN
timers) and the periodic clock. A job is a decorator (`workers.runtime.unit_of_work`), a loader, one
service call and a log line; the rules live in `app/<domain>/services.py`.

Allowed imports: `app` (its factory, config, `app.jobs` names and `app.<domain>.services`), `rq`,
`redis` and the standard library. Nothing in `app` or `workflows` may import `workers` (the
import-linter contracts in setup.cfg enforce it), so jobs are enqueued by dotted name.

Importing a module here opens no socket and builds no app: that happens in the entry points
(`python -m workers`, `python -m workers.clock`, `python -m workers.redis_server`) or lazily on the
first job.
"""
