"""`flask --app app crm ...` commands: deploy, demo, create-user."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from app.errors import CrmError
from app.extensions import db

crm = AppGroup("crm", help="CRM administration commands.")


@crm.command("deploy")
def deploy_command() -> None:
    """Deploy changed BPMN files from BPMN_DIR (refuses a broken file with file, line and message)."""
    from app.processes.services import deploy_directory  # noqa: commands load services lazily (app not built yet)

    try:
        result = deploy_directory()
        db.session.commit()
    except CrmError as e:
        db.session.rollback()
        click.echo(f"Deploy refused: {e.message}", err=True)
        sys.exit(1)
    for v in result.deployed:
        click.echo(f"deployed {v.process_id} v{v.version} ({v.id[:12]}) from {v.file_name}")
    for pid in result.unchanged:
        click.echo(f"unchanged {pid}")


@crm.command("create-user")
@click.option("--login", required=True)
@click.option("--full-name", required=True)
@click.option("--email", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--group", "groups", multiple=True, help="Group id (repeatable), e.g. crm-admin")
@click.option("--line-manager", default=None, help="Login of the line manager")
def create_user_command(login: str, full_name: str, email: str | None, password: str, groups: tuple[str, ...],
                        line_manager: str | None) -> None:
    """Create a user."""
    from flask import current_app

    from app.auth.services import UserData, create_user, default_groups, ensure_groups

    ensure_groups(default_groups(current_app.config))
    try:
        user = create_user(UserData(login=login, full_name=full_name, email=email, password=password,
                                    group_ids=list(groups), line_manager_login=line_manager))
        db.session.commit()
    except CrmError as e:
        db.session.rollback()
        click.echo(f"Refused: {e.message} {e.fields}", err=True)
        sys.exit(1)
    click.echo(f"created user {user.login}")


@crm.command("demo")
@click.option("--force", is_flag=True, help="Add demo data even if users exist.")
def demo_command(force: bool) -> None:
    """Load demo users and assignments into an empty database."""
    from app.demo import load_demo

    if not load_demo(force=force):
        click.echo("demo data skipped: the database already has users")
        return
    db.session.commit()
    click.echo("demo data loaded: admin, director, manager1, manager2 (password: demo)")


def register_cli(app: Flask) -> None:
    from app.counterparties.cli import import_inn_registry_command

    crm.add_command(import_inn_registry_command)
    app.cli.add_command(crm)
