"""Demo data of orders and payments (called from app.demo, after the deals, their lines and the contracts): an order
in each status with its lines (copied from the deal or from the catalog), and payments in each status including an
overdue (expired) one — planned a month ago for a day that has passed, expired by its process's timer."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.auth.models import User
from app.catalog.models import Product
from app.deals.models import Deal
from app.extensions import db
from app.orders.services import create_order_for_deal, today
from app.payments.services import create_payment_for
from app.processes import services as processes
from app.records import lines
from app.records import services as records
from app.records.kinds import get_kind
from app.tasks.services import TaskQuery, claim_task, complete_task, list_tasks


def _deal(name: str) -> Deal | None:
    return db.session.scalar(sa.select(Deal).where(Deal.name == name))


def _decide(director: User, order_id: int, data: dict[str, str]) -> None:
    """The Commercial Director claims and completes the order's approval task."""
    for task in list_tasks(director, TaskQuery(scope="current", per_page=100)).items:
        if task.record_type == "order" and task.record_id == order_id and task.is_open:
            claim_task(task.id, director)
            complete_task(task.id, director, data)
            return


def _move(kind_name: str, record_id: int, path: list[tuple[str, dict[str, Any]]], actor: User) -> None:
    for status, data in path:
        records.change_status(get_kind(kind_name), record_id, status, data, actor)


def _catalog_line(order_id: int, product: str, quantity: int, actor: User) -> None:
    product_id = db.session.scalar(sa.select(Product.id).where(Product.name == product))
    if product_id is not None:
        lines.add_line(get_kind("order"), order_id, {"product_id": product_id, "quantity": quantity}, actor)


def demo_orders(director: User, m1: User, m2: User) -> None:
    """Orders in placement (returned by the director), approving, execution, completed and canceled; payments in
    draft, planned, partially paid, paid, expired and canceled."""
    support, erp, ural = (_deal("Annual support for Romashka"), _deal("ERP integration for Vector JSC"),
                          _deal("CRM roll-out for Ural Systems"))
    if support is None or erp is None or ural is None:
        return
    day = today()
    # Completed: the support deal's lines under its contract, paid in full.
    done = create_order_for_deal(support.id, {"name": "Support 2027, first half"}, director, copy_deal_lines=True)
    _move("order", done.id, [("approving", {})], director)
    _decide(director, done.id, {"decision": "approve", "approval_comment": "Approved."})
    _move("order", done.id, [("completed", {})], director)
    paid = create_payment_for({"name": "Payment for support 2027", "planned_date": (day + timedelta(days=1))
                               .isoformat()}, director, order_id=done.id)
    _move("payment", paid.id, [("planned", {}), ("paid", {"actual_date": day.isoformat()})], director)
    # Execution: the ERP deal's lines, a prepayment partly received and the rest planned.
    running = create_order_for_deal(erp.id, {"name": "ERP integration, stage 1"}, director, copy_deal_lines=True)
    _move("order", running.id, [("approving", {})], director)
    _decide(director, running.id, {"decision": "approve"})
    prepayment = create_payment_for({"name": "Prepayment 50%", "amount": f"{(running.amount or 0) / 2:.2f}",
                                     "planned_date": (day + timedelta(days=3)).isoformat()}, director,
                                    order_id=running.id)
    _move("payment", prepayment.id, [("planned", {}), ("partially_paid", {
        "paid_amount": f"{(running.amount or 0) / 4:.2f}", "actual_date": day.isoformat()})], director)
    rest = create_payment_for({"name": "Final payment", "amount": f"{(running.amount or 0) / 2:.2f}",
                               "planned_date": (day + timedelta(days=30)).isoformat()}, director, order_id=running.id)
    _move("payment", rest.id, [("planned", {})], director)
    # Overdue: planned a month ago for a day a week ago; its process's timer has expired it (the responsible has
    # "Payment overdue").
    overdue = create_payment_for({"name": "Licences for the pilot", "amount": "45000.00",
                                  "planned_date": (day - timedelta(days=7)).isoformat()}, director, deal_id=ural.id)
    # Planned back then, when its date was still ahead (the planned guard compares with that day).
    processes.change_record_status("payment", overdue.id, "planned", {}, director.id,
                                   at=processes.now() - timedelta(days=30))
    instance = processes.find_instance_for("payment", overdue.id)
    if instance is not None:
        processes.fire_due_timers(instance.id)
    # Approving: the won Ural deal's order from the catalog, waiting for the director.
    waiting = create_order_for_deal(ural.id, {"name": "CRM roll-out licences"}, director)
    _catalog_line(waiting.id, "CRM license (1 user, 1 year)", 40, director)
    _catalog_line(waiting.id, "User training", 1, director)
    _move("order", waiting.id, [("approving", {})], director)
    # Placement: returned by the director with a comment; its payment is still a draft.
    returned = create_order_for_deal(ural.id, {"name": "Barcode scanners", "responsible": m1.login}, director)
    _catalog_line(returned.id, "Barcode scanner", 15, director)
    _move("order", returned.id, [("approving", {})], director)
    _decide(director, returned.id, {"decision": "return", "approval_comment": "Check the price with the supplier."})
    create_payment_for({"name": "Payment for the scanners", "amount": f"{returned.amount or 0:.2f}"}, director,
                       order_id=returned.id)
    # Canceled: an order and a payment the client withdrew.
    dropped = create_order_for_deal(erp.id, {"name": "ERP integration, stage 2"}, director)
    _catalog_line(dropped.id, "Implementation", 40, director)
    _move("order", dropped.id, [("canceled", {})], director)
    withdrawn = create_payment_for({"name": "Advance for stage 2", "amount": "50000.00"}, director, deal_id=erp.id)
    _move("payment", withdrawn.id, [("canceled", {"cancel_comment": "Stage 2 was canceled by the client."})],
          director)
