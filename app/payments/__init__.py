"""Payments: planned and received money of a deal or an order — a record kind (app.records) driven by the
payment_cycle process (draft → planned → partially paid / paid, expired by a timer, or canceled).

Imports `app.records`, `app.deals` and `app.orders`; neither imports this package.
"""
