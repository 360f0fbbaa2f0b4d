"""`flask --app app crm import-inn-registry FILE.csv`: load the local INN registry.

The command is added to the `crm` group in app/cli.py.
"""
from __future__ import annotations

import sys
from typing import TextIO

import click
from flask.cli import with_appcontext

from app.counterparties.registry import import_inn_registry
from app.errors import CrmError
from app.extensions import db


@click.command("import-inn-registry")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows and report the invalid ones.")
@with_appcontext
def import_inn_registry_command(file: TextIO, skip_invalid: bool) -> None:
    """Insert or update INN registry entries from a CSV file (inn, kind, full_name, short_name, kpp, ogrn, okpo,
    legal_address, ceo). Any invalid row refuses the whole file unless --skip-invalid."""
    try:
        result = import_inn_registry(file.read(), skip_invalid=skip_invalid)
        db.session.commit()
    except CrmError as e:
        db.session.rollback()
        click.echo(f"Import refused: {e.message}", err=True)
        for detail in e.fields.values():
            click.echo(detail, err=True)
        sys.exit(1)
    for message in result.errors:
        click.echo(f"skipped {message}", err=True)
    click.echo(f"INN registry: {result.created} created, {result.updated} updated, {len(result.errors)} skipped")
