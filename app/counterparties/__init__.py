"""Counterparties (the Clients journal): companies and people we sell to, buy from or partner with,
their requisites, contact persons, and the local INN registry that auto-fills requisites.

Allowed imports: `app.db`, `app.extensions`, `app.errors`, `app.access.services`, `app.auth.models`
(typing only), `app.processes.services` (card form schema). `requisites` is pure (no Flask, no DB).
"""
