"""Orders: what was sold under a deal — a record kind (app.records) with product/service lines, totals with VAT
and the order_cycle process (placement → approving by the Commercial Director → execution → completed, or canceled).

Imports `app.records`, `app.deals` (the deal an order is placed for) and `app.contracts` (its contract); the deal
never imports this package (its Orders tab reads orders through the `deal_orders` template global).
"""
