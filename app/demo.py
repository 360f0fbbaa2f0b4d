"""Demo data: users, groups, assignments (open, completed, overdue), leads and counterparties."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.assignments.services import AssignmentData, create_assignment
from app.catalog.services import create_product
from app.activities.demo import demo_activities
from app.mail.demo import demo_mail
from app.documents.demo import demo_library
from app.contracts.demo import demo_contracts
from app.orders.demo import demo_orders
from app.documents.generation_demo import demo_documents
from app.records.lines import add_line
from app.auth.models import User
from app.auth.services import UserData, create_user, default_groups, ensure_groups
from app.extensions import db
from app.processes.services import deploy_directory, now
from app.counterparties.registry import autofill, import_inn_registry
from app.counterparties.services import create_counterparty
from app.directories.services import ensure_seed
from app.leads.services import change_status as change_lead_status
from app.leads.services import create_lead
from app.records.kinds import get_kind
from app.records.services import change_status as change_record_status
from app.records.services import create_record
from app.tasks.services import TaskQuery, complete_task, list_tasks

DEMO_DIR = Path(__file__).parent / "demo_data"


def load_demo(force: bool = False) -> bool:
    if not force and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        return False
    cfg = current_app.config
    ensure_groups(default_groups(cfg))
    deploy_directory()
    admin = create_user(UserData("admin", "Anna Admin", "admin@example.org", "demo",
                                 group_ids=[cfg["CRM_GROUP_ADMIN"], cfg["CRM_GROUP_ANALYST"]]))
    director = create_user(UserData("director", "Dmitry Director", "director@example.org", "demo",
                                    group_ids=[cfg["CRM_GROUP_COMMERCIAL_DIRECTOR"]]))
    m1 = create_user(UserData("manager1", "Maria Manager", "manager1@example.org", "demo",
                              group_ids=[cfg["CRM_GROUP_CRM_MANAGER"]], line_manager_login="director"))
    m2 = create_user(UserData("manager2", "Mikhail Manager", "manager2@example.org", "demo",
                              group_ids=[cfg["CRM_GROUP_CRM_MANAGER"]], line_manager_login="director"))
    del admin
    ensure_seed()
    moment = now()
    today = moment.date()
    tomorrow, next_week = today + timedelta(days=1), today + timedelta(days=7)
    create_assignment(director, AssignmentData("Prepare the Q4 sales forecast", "Use the pipeline report.",
                                               executor="manager1", due_date=next_week, reviewer="director"))
    create_assignment(director, AssignmentData("Call back Romashka LLC", "They asked for a demo.",
                                               executor="manager1", due_date=tomorrow))
    create_assignment(director, AssignmentData("Update the price list", executor="manager2", due_date=next_week))
    create_assignment(director, AssignmentData("Collect feedback from the trade show",
                                               executor_group=cfg["CRM_GROUP_CRM_MANAGER"], due_date=next_week))
    # Overdue: created two weeks ago with a due date in the past; the clock gives the director a task.
    past = moment - timedelta(days=14)
    for title, executor in (("Send the signed contract to Vector JSC", "manager1"),
                            ("Reconcile payments for October", "manager2")):
        due = (past + timedelta(days=3)).date()
        create_assignment(director, AssignmentData(title, executor=executor, due_date=due),
                          today=past.date(), at=past)
    done = create_assignment(m2, AssignmentData("Check the demo stand", executor="manager1", due_date=next_week))
    page = list_tasks(m1, TaskQuery(scope="current", per_page=100))
    for task in page.items:
        if task.record_id == done.id:
            complete_task(task.id, m1, {"result_comment": "The stand works; updated to the latest build."})
    _demo_leads(director, m1, m2)
    _demo_deals(director, m1, m2)
    db.session.flush()
    demo_activities(director, m1, m2)
    db.session.flush()
    demo_library(director, m1, m2)
    db.session.flush()
    demo_contracts(director, m1)
    db.session.flush()
    demo_orders(director, m1, m2)
    db.session.flush()
    demo_documents(director)
    db.session.flush()
    demo_mail()
    db.session.flush()
    return True


def _demo_leads(director: User, m1: User, m2: User) -> None:
    """A dozen leads across every status (some unassigned) and counterparties with valid INNs."""
    ensure_seed()
    import_inn_registry((DEMO_DIR / "inn_registry.csv").read_text(encoding="utf-8"))

    def from_registry(inn: str) -> Any:
        requisites = {k: v for k, v in autofill(inn).items() if k != "source"}
        return create_counterparty(requisites, director)

    romashka, vector = from_registry("7702043329"), from_registry("7809637942")
    from_registry("6604056416")
    specs = [
        # name, company, contact, responsible, counterparty, amount, category, source, target status
        ("CRM for 50 users", "Romashka LLC", ("Olga Smirnova", "+7 495 100-20-30", "olga@romashka.example"),
         m1, romashka, "450000.00", "price", "website", "deal"),
        ("Demo request from the site", "Vector JSC", ("Ivan Petrov", "+7 812 555-11-22", "petrov@vector.example"),
         m1, vector, "120000.00", "demonstration", "website", "interest_expressed"),
        ("Partnership proposal", "Severny Veter", ("Anna Sidorova", None, "anna@sever.example"),
         m2, None, None, "partnership", "email", "not_processed"),
        ("Licence renewal question", "Gorizont Soft", ("Pavel Orlov", "+7 499 700-00-01", None),
         m2, None, "80000.00", "consult", "phone", "paused"),
        ("Price list request", "Baikal Logistic", ("Maria Belova", None, "mb@baikal.example"),
         m1, None, "35000.00", "price", "search", "disqualified"),
        ("Spam from a bot", None, None, m2, None, None, "other", "website", "disqualified"),
        ("Integration with 1C", "VTK LLC", ("Sergey Kuznetsov", "+7 846 200-30-40", "sk@vtk.example"),
         m1, None, "210000.00", "consult", "referral", "not_processed"),
        ("Training for 10 managers", "ShTsP", ("Elena Volkova", None, "volkova@shcp.example"),
         m2, None, "60000.00", "other", "event", "interest_expressed"),
        ("Website form: demo access", "Ural Systems", ("Dmitry Lebedev", "+7 343 300-40-50", None),
         None, None, "300000.00", "demo-access", "website", None),
        ("Incoming call: pricing", None, ("Natalia Kim", "+7 900 111-22-33", None),
         None, None, None, "price", "phone", None),
        ("Email: need a quote", "Orlov S. M.", ("Sergey Orlov", None, "orlov@example.org"),
         None, None, "15000.00", "price", "email", None),
        ("Referral from a partner", "Belova M. O.", ("Maria Belova", "+7 918 000-11-22", None),
         None, None, "50000.00", "partnership", "referral", None),
    ]
    for name, company, contact, responsible, counterparty, amount, category, source, target in specs:
        contacts = [{"full_name": contact[0], "phone": contact[1], "email": contact[2], "is_main": True}
                    ] if contact else []
        lead = create_lead({"name": name, "company_name": company, "amount": amount, "request_category": category,
                            "request_source": source, "request_type": "deal",
                            "counterparty_id": counterparty.id if counterparty else None,
                            "responsible": responsible.login if responsible else None}, director, contacts)
        actor = director
        path = {"interest_expressed": ["interest_expressed"], "paused": ["interest_expressed", "paused"],
                "deal": ["interest_expressed", "deal"], "disqualified": ["disqualified"]}.get(target or "", [])
        for step in path:
            data = {"disqualification_reason": "not_target" if name.startswith("Price") else "spam"} \
                if step == "disqualified" else {}
            change_lead_status(lead.id, step, data, actor)


def _demo_deals(director: User, m1: User, m2: User) -> None:
    """Deals of their own (not from a lead) along the sales stages, one waiting to be taken to work."""
    kind = get_kind("deal")
    specs = [
        ("ERP integration for Vector JSC", "Vector JSC", ("Ivan Petrov", "+7 812 555-11-22"), m1, "900000.00",
         ["initial_contact", "needs_assessment", "presentation"]),
        ("Annual support for Romashka", "Romashka LLC", ("Olga Smirnova", "+7 495 100-20-30"), m1, "240000.00",
         ["initial_contact", "needs_assessment", "presentation", "proposal_preparation", "decision_making"]),
        ("Pilot for Severny Veter", "Severny Veter", ("Anna Sidorova", None), m2, "150000.00", ["initial_contact"]),
        ("Licences for Baikal Logistic", "Baikal Logistic", ("Maria Belova", None), m2, "75000.00",
         ["initial_contact", "paused"]),
        ("Tender: regional distributor", "Yug Trade", ("Pavel Orlov", "+7 861 200-00-00"), None, "1200000.00", []),
        ("CRM roll-out for Ural Systems", "Ural Systems", ("Dmitry Lebedev", "+7 343 300-40-50"), m1, "560000.00",
         ["initial_contact", "needs_assessment", "presentation", "proposal_preparation", "decision_making",
          "completed"]),
        ("Chat bot for VTK", "VTK LLC", ("Sergey Kuznetsov", "+7 846 200-30-40"), m2, "90000.00",
         ["initial_contact", "rejected"]),
    ]
    deals = []
    for name, company, contact, responsible, amount, path in specs:
        deal = create_record(kind, {"name": name, "company_name": company, "amount": amount,
                                    "responsible": responsible.login if responsible else None}, director,
                             [{"full_name": contact[0], "phone": contact[1]}])
        for step in path:
            change_record_status(kind, deal.id, step, {}, director)
        deals.append(deal)
    _demo_lines(director, deals[0].id, deals[1].id)


def _demo_lines(director: User, erp_deal: int, support_deal: int) -> None:
    """A small products and services catalog, and lines of it (with a discount and each VAT rate) on two deals."""
    catalog = {name: create_product({"name": name, "type": type_, "unit": unit, "price": price, "vat_rate": vat},
                                    director).id
               for name, type_, unit, price, vat in (
                   ("CRM license (1 user, 1 year)", "product", "license", "12000.00", "20"),
                   ("Implementation", "service", "hour", "3500.00", "20"),
                   ("Technical support", "service", "month", "25000.00", "20"),
                   ("User training", "service", "service", "45000.00", "without_vat"),
                   ("Barcode scanner", "product", "pcs", "8900.00", "20"))}
    deal = get_kind("deal")
    add_line(deal, erp_deal, {"product_id": catalog["CRM license (1 user, 1 year)"], "quantity": 50,
                              "discount_percent": 10}, director)
    add_line(deal, erp_deal, {"product_id": catalog["Implementation"], "quantity": 120}, director)
    add_line(deal, erp_deal, {"product_id": catalog["User training"]}, director)
    add_line(deal, support_deal, {"product_id": catalog["Technical support"], "quantity": 12,
                                  "discount_percent": 5}, director)
