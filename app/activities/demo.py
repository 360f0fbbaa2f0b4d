"""Demo activities: planned, completed and expired calls and meetings on the demo deals and a lead, a
comment, and an assignment made from a deal's card (called from app/demo.py after the deals exist)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.activities.services import add_activity, add_comment, complete_activity, expire_overdue_activities
from app.assignments.services import AssignmentData, create_record_assignment
from app.auth.models import User
from app.extensions import db
from app.processes.services import now
from app.records.kinds import get_kind


def _record_id(kind_name: str, name: str) -> int | None:
    model = get_kind(kind_name).model
    return db.session.scalar(sa.select(model.id).where(model.name == name).limit(1))


def demo_activities(director: User, m1: User, m2: User) -> None:
    """Activities in every status on manager1's and manager2's deals, and an assignment linked to a deal."""
    moment = now()
    erp = _record_id("deal", "ERP integration for Vector JSC")
    support = _record_id("deal", "Annual support for Romashka")
    pilot = _record_id("deal", "Pilot for Severny Veter")
    if erp is None or support is None or pilot is None:
        return
    add_activity("deal", erp, {"kind": "call", "subject": "Call Ivan Petrov about the integration scope",
                               "due_at": moment + timedelta(days=1, hours=2),
                               "body": "Ask which 1C configuration they run."}, m1.id, at=moment)
    add_activity("deal", erp, {"kind": "meeting", "subject": "Presentation at Vector JSC",
                               "due_at": moment + timedelta(days=6), "responsible": m1.login}, m1.id, at=moment)
    done = add_activity("deal", support, {"kind": "call", "subject": "Agree on the support level",
                                          "due_at": moment - timedelta(days=2) + timedelta(hours=1)},
                        m1.id, at=moment - timedelta(days=2))
    complete_activity(done, "They want the 8x5 plan with a 4-hour response.", m1.id, at=moment - timedelta(days=2))
    add_activity("deal", support, {"kind": "email", "subject": "Send the updated proposal",
                                   "due_at": moment + timedelta(days=2)}, m1.id, at=moment)
    # Planned three days ago for yesterday and never done: the clock marks it expired.
    add_activity("deal", pilot, {"kind": "call", "subject": "Follow up on the pilot results",
                                 "due_at": moment - timedelta(days=1)}, m2.id, at=moment - timedelta(days=3))
    expire_overdue_activities(moment)
    add_comment("deal", erp, "The client prefers a phased roll-out: warehouse first.", m1.id,
                at=moment - timedelta(hours=5))
    lead = _record_id("lead", "CRM for 50 users")
    if lead is not None:
        add_activity("lead", lead, {"kind": "call", "subject": "Qualify the request",
                                    "due_at": moment + timedelta(hours=4)}, director.id, at=moment)
    create_record_assignment(get_kind("deal"), erp, AssignmentData(
        title="Estimate the integration effort", description="Two options: with and without the warehouse module.",
        executor=m2.login, due_date=(moment + timedelta(days=4)).date(), reviewer=m1.login), m1)
