"""The CRM web application: `create_app` builds it; each domain is a package of models/services/views.

Allowed imports: `app` may import `workflows` only through `app.processes.services`, and never `workers`.
"""
from __future__ import annotations

import gc
import logging
from pathlib import Path
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from app.config import Config, check_secret_key
from app.extensions import babel, csrf, db, login_manager, migrate

logger = logging.getLogger(__name__)


def _select_locale() -> str:
    if not has_request_context():
        return "en"
    if current_user and getattr(current_user, "is_authenticated", False):
        return str(current_user.locale or "en")
    chosen = session.get("locale")
    if chosen:
        return str(chosen)
    return request.accept_languages.best_match(["en", "ru"]) or "en"


def _select_timezone() -> str:
    if not has_request_context():
        return "Europe/Moscow"
    if current_user and getattr(current_user, "is_authenticated", False):
        return str(current_user.timezone or "Europe/Moscow")
    return "Europe/Moscow"


def create_app(config_overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    config = Config.from_env().as_mapping()
    config.update(config_overrides or {})
    app.config.from_mapping(config)
    check_secret_key(app.config, debug=app.debug)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")

    _ensure_sqlite_dir(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)

    with app.app_context():
        from app.db import configure_sqlite
        from app.jobs import install_session_hooks

        configure_sqlite(db.engine)
        install_session_hooks(app, _session_class())

    _init_rq(app)
    _install_unit_of_work(app)
    _register_blueprints(app)

    from app.errors import register_error_handlers

    register_error_handlers(app)

    from app.cli import register_cli

    register_cli(app)

    from app.auth.services import install_login

    install_login(app, login_manager)

    _init_processes(app)

    from app.templating import install_template_helpers

    install_template_helpers(app)

    from app.web import install_web_rules

    install_web_rules(app)
    logging.getLogger("spiff").setLevel(logging.WARNING)
    if not app.testing:
        freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Take what the process built at start-up (modules, the app, parsed schemas: ~300,000 objects) out
    of the garbage collector's full passes. They live as long as the process, yet every full collection
    walked them all: a ~170 ms stall in some request now and then (measured on the deals kanban: p99
    212 ms, max 39-51 ms frozen). Forked RQ work horses inherit the frozen set too. Tests build many
    apps in one process and skip this (frozen objects are never freed)."""
    gc.collect()
    gc.freeze()


def _init_processes(app: Flask) -> None:
    """Wire the record domains into the engine: their service tasks and record types."""
    from app.assignments import services as assignments
    from app.processes.records import register_record_types
    from app.processes.services import init_engine
    from app.records import services as records

    kinds = app.extensions["crm_record_kinds"].values()
    register_record_types(app, assignments.RECORD_TYPES + tuple(records.record_type_of(k) for k in kinds))
    services: dict[str, Callable[..., Any]] = {**assignments.SERVICE_TASKS, **records.SERVICE_TASKS}
    for kind in kinds:
        services.update(kind.service_tasks)
    init_engine(app, services=services)
    _deploy_on_start(app)


def _deploy_on_start(app: Flask) -> None:
    """Never serve an undeployed BPMN change silently: deploy it or warn (CRM_DEPLOY_ON_START).

    Its own unit of work at startup, so it commits here, like a CLI command.
    """
    import sqlalchemy as sa

    from app.processes.models import ProcessVersion
    from app.processes.services import DeployRefused, deploy_directory, undeployed_changes

    mode = app.config["CRM_DEPLOY_ON_START"]
    if mode == "off":
        return
    with app.app_context():
        if not sa.inspect(db.engine).has_table(ProcessVersion.__tablename__):
            logger.warning("database is not migrated yet; run `flask --app app db upgrade`")
            return
        try:
            if mode == "deploy":
                result = deploy_directory()
                db.session.commit()
                for v in result.deployed:
                    logger.warning("deployed %s version %s (%s)", v.process_id, v.version, v.id[:12])
            elif changed := undeployed_changes():
                logger.warning("BPMN files changed but not deployed: %s; run `flask --app app crm deploy`",
                               ", ".join(changed))
        except DeployRefused as e:
            db.session.rollback()
            logger.error("BPMN deploy refused at startup: %s", e)
        except sa.exc.IntegrityError:
            # Another web worker deployed the same file at the same moment.
            db.session.rollback()
        finally:
            db.session.remove()


def _session_class() -> Any:
    # Flask-SQLAlchemy's scoped session builds sessions of this class; listening on it covers
    # every session the app creates, including the per-test savepoint sessions.
    from flask_sqlalchemy.session import Session

    return Session


def _register_record_kinds(app: Flask) -> None:
    """Each record kind gets its pages and its /api/v1/<plural> blueprint from `app.records`."""
    from app.contracts.kind import AGREEMENT, CONTRACT
    from app.deals.kind import DEAL
    from app.leads.kind import LEAD
    from app.orders.kind import ORDER
    from app.payments.kind import PAYMENT
    from app.records.api import make_api_blueprint
    from app.records.kinds import register_kinds
    from app.records.lines_views import add_line_api, add_line_views
    from app.records.views import make_blueprint, templates_bp

    kinds = (LEAD, DEAL, CONTRACT, AGREEMENT, ORDER, PAYMENT)
    register_kinds(app, kinds)
    app.register_blueprint(templates_bp)
    for kind in kinds:
        pages = make_blueprint(kind)
        if kind.extend_blueprint:
            kind.extend_blueprint(pages)
        api = make_api_blueprint(kind)
        if kind.extend_api_blueprint:
            kind.extend_api_blueprint(api)
        if kind.line_model is not None:  # product and service lines (deals, orders)
            add_line_views(kind, pages)
            add_line_api(kind, api)
        app.register_blueprint(pages)
        app.register_blueprint(api)
        # Session-authenticated API writes are checked for CSRF by the API's own before_request.
        csrf.exempt(api)


def _install_unit_of_work(app: Flask) -> None:
    """The web runner marks a request's unit of work read-only when its method cannot write (GET,
    HEAD, OPTIONS), so SQLite readers never take the write lock (app.db)."""
    from app.db import reset_read_only_unit, set_read_only_unit

    @app.before_request
    def _mark_read_only() -> None:
        g.crm_read_only_token = set_read_only_unit(request.method in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_request
    def _unmark(_error: BaseException | None) -> None:
        token = g.pop("crm_read_only_token", None)
        if token is not None:
            reset_read_only_unit(token)


def _ensure_sqlite_dir(app: Flask) -> None:
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)


def _init_rq(app: Flask) -> None:
    from rq import Queue

    from app.jobs import QUEUES, publisher_connection

    # Redis() connects lazily, so building the queues opens no socket. Short timeouts, no retries:
    # with Redis down a request must not hang on publishing a job (see app.jobs.publish).
    connection = publisher_connection(app.config["REDIS_URL"], float(app.config["CRM_REDIS_TIMEOUT"]))
    app.extensions["rq"] = {
        "connection": connection,
        "queues": {name: Queue(name, connection=connection) for name in QUEUES},
    }


class _Int32Converter(IntegerConverter):
    """Ids in URLs fit a 32-bit column: a longer number is a 404, not a database overflow error.

    The regex itself stops at 2**31 - 1: werkzeug checks `max` only after matching, and a PATCH or
    DELETE whose id was refused there is answered 405 (the GET rule of the same path "matched").
    """

    regex = (r"(?:\d{1,9}|1\d{9}|20\d{8}|21[0-3]\d{7}|214[0-6]\d{6}|2147[0-3]\d{5}|21474[0-7]\d{4}"
             r"|214748[0-2]\d{3}|2147483[0-5]\d{2}|21474836[0-3]\d|214748364[0-7])")

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = _Int32Converter
    from app.api.views import bp as api_bp
    from app.assignments.views import bp as assignments_bp
    from app.auth.views import bp as auth_bp
    from app.dashboard.views import bp as dashboard_bp
    from app.processes.views import bp as processes_bp
    from app.tasks.views import bp as tasks_bp

    # Counterparties (Clients) and Directories: pages plus their own /api/v1 blueprints.
    from app.counterparties.api import bp as counterparties_api_bp
    from app.counterparties.views import bp as counterparties_bp
    from app.directories.api import bp as directories_api_bp
    from app.directories.views import bp as directories_bp

    # The products and services catalog: /catalog and /api/v1/products.
    from app.catalog.api import bp as products_api_bp
    from app.catalog.views import bp as catalog_bp

    for bp in (auth_bp, dashboard_bp, tasks_bp, assignments_bp, processes_bp, api_bp,
               counterparties_bp, directories_bp, counterparties_api_bp, directories_api_bp,
               catalog_bp, products_api_bp):
        app.register_blueprint(bp)
    _register_record_kinds(app)
    # Our legal entities (/legal-entities, /api/v1/legal-entities); contracts are a record kind above.
    from app.contracts.views import api_bp as legal_entities_api_bp
    from app.contracts.views import bp as legal_entities_bp

    app.register_blueprint(legal_entities_bp)
    app.register_blueprint(legal_entities_api_bp)
    csrf.exempt(legal_entities_api_bp)
    # The Document Library (/documents/library, /api/v1/documents/...) and the Document Links card widget.
    from app.documents.api import bp as library_api_bp
    from app.documents.views import bp as library_bp

    app.register_blueprint(library_bp)
    app.register_blueprint(library_api_bp)
    csrf.exempt(library_api_bp)
    # Generated documents (proposal, invoice, act): the cards' Documents tab and /api/v1/.../documents.
    from app.documents.generation_views import api_bp as generated_api_bp
    from app.documents.generation_views import bp as generated_bp

    app.register_blueprint(generated_bp)
    app.register_blueprint(generated_api_bp)
    csrf.exempt(generated_api_bp)
    # The Configuration journal (/admin/settings, /api/v1/settings) and mail intake (/mail/log,
    # /api/v1/mail/log); the mail blueprint declares the mailbox settings when it is registered.
    from app.mail.api import bp as mail_api_bp
    from app.mail.views import bp as mail_bp
    from app.settings.api import bp as settings_api_bp
    from app.settings.views import bp as settings_bp

    for bp in (settings_bp, settings_api_bp, mail_bp, mail_api_bp):
        app.register_blueprint(bp)
    csrf.exempt(settings_api_bp)
    csrf.exempt(mail_api_bp)
    # Orders and payments of a deal or an order (/api/v1/deals/<id>/orders|payments, /api/v1/orders/<id>/payments).
    from app.orders.api import bp as deal_orders_api_bp
    from app.payments.api import bp as record_payments_api_bp

    for bp in (deal_orders_api_bp, record_payments_api_bp):
        app.register_blueprint(bp)
        csrf.exempt(bp)
    # The API authenticates with bearer tokens; session-authenticated API writes are checked
    # for CSRF inside the API blueprint itself.
    for bp in (api_bp, counterparties_api_bp, directories_api_bp, products_api_bp):
        csrf.exempt(bp)
    # The API contract: /api/v1/openapi.json and the /api/docs page (both public, GET only).
    from app.api.docs import bp as api_docs_bp

    app.register_blueprint(api_docs_bp)
