"""Demo data: users, groups and a few open, completed and overdue assignments."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.assignments.services import AssignmentData, create_assignment
from app.auth.models import User
from app.auth.services import UserData, create_user, default_groups, ensure_groups
from app.extensions import db
from app.processes.services import deploy_directory, now
from app.tasks.services import complete_task, list_tasks, TaskQuery


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
        create_assignment(director, AssignmentData(title, executor=executor, due_date=(past + timedelta(days=3)).date()),
                          today=past.date(), at=past)
    done = create_assignment(m2, AssignmentData("Check the demo stand", executor="manager1", due_date=next_week))
    page = list_tasks(m1, TaskQuery(scope="current", per_page=100))
    for task in page.items:
        if task.record_id == done.id:
            complete_task(task.id, m1, {"result_comment": "The stand works; updated to the latest build."})
    del director, m2
    db.session.flush()
    return True
