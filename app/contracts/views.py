"""Pages and API of our legal entities, and the contract's own verbs on the record machinery's blueprints:
additional agreements from a contract, the deal card's Contract widget ("Select" / "Create" / "Unlink").

Each view parses the request, calls one service, commits once and renders or redirects.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.api import authenticate_request, json_body
from app.contracts import legal_entities, services
from app.errors import BadRequest, Conflict, CrmError, InvalidInput, PermissionDenied
from app.extensions import db
from app.forms import form_to_data
from app.processes.services import form_schema
from app.records import services as records
from app.records.api import record_json
from app.records.kinds import get_kind

LEGAL_ENTITY_FORM = "crud/legal_entity.schema.json"
SECTIONS = (("main", _l("Properties")), ("requisites", _l("Requisites")), ("bank", _l("Bank details")))

bp = Blueprint("legal_entities", __name__, template_folder="templates")
api_bp = Blueprint("legal_entities_api", __name__, url_prefix="/api/v1/legal-entities")
api_bp.before_request(authenticate_request)


# --------------------------------------------------------------------------- legal entities: pages


def _sections() -> list[tuple[str, Any, dict[str, Any]]]:
    schema = form_schema(LEGAL_ENTITY_FORM)
    result = []
    for key, title in SECTIONS:
        names = [n for n, p in schema["properties"].items() if p.get("x-section", "main") == key]
        result.append((key, title, {"properties": {n: schema["properties"][n] for n in names},
                                    "required": [n for n in schema.get("required", []) if n in names]}))
    return result


def _form_data(empty_as_null: bool) -> dict[str, Any]:
    data, errors = form_to_data(form_schema(LEGAL_ENTITY_FORM), request.form, current_user.timezone,
                                empty_as_null=empty_as_null)
    if errors:
        raise InvalidInput(fields=errors)
    return data


def _render_form(entity: Any, values: dict[str, Any], errors: dict[str, str] | None = None, status: int = 200,
                 version: Any = None) -> Any:
    return render_template("contracts/legal_entity_form.html", entity=entity, values=values, errors=errors or {},
                           sections=_sections(),
                           version=version if version is not None else (entity.version if entity else None)), status


@bp.get("/legal-entities")
@login_required
def index() -> Any:
    return render_template("contracts/legal_entities.html",
                           entities=legal_entities.list_legal_entities(include_inactive=True),
                           can_edit=legal_entities.can_edit(current_user))


@bp.route("/legal-entities/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    legal_entities.require_editor(current_user)
    if request.method == "GET":
        return _render_form(None, {"is_active": True})
    try:
        entity = legal_entities.create_legal_entity(_form_data(empty_as_null=False), current_user)
        db.session.commit()
    except InvalidInput as e:
        db.session.rollback()
        return _render_form(None, request.form.to_dict(), e.fields or {"": e.message}, 422)
    flash(_("Legal entity %(name)s created.", name=entity.display_name), "success")
    return redirect(url_for("legal_entities.detail", legal_entity_id=entity.id))


@bp.get("/legal-entities/<int:legal_entity_id>")
@login_required
def detail(legal_entity_id: int) -> Any:
    entity = legal_entities.get_legal_entity(legal_entity_id)
    return render_template("contracts/legal_entity.html", entity=entity, sections=_sections(),
                           can_edit=legal_entities.can_edit(current_user))


@bp.route("/legal-entities/<int:legal_entity_id>/edit", methods=["GET", "POST"])
@login_required
def edit(legal_entity_id: int) -> Any:
    legal_entities.require_editor(current_user)
    entity = legal_entities.get_legal_entity(legal_entity_id)
    if request.method == "GET":
        return _render_form(entity, legal_entities.legal_entity_json(entity))
    raw_version = request.form.get("version", "")
    version: Any = int(raw_version) if raw_version.isdigit() and len(raw_version) < 10 else raw_version or None
    try:
        legal_entities.update_legal_entity(legal_entity_id, _form_data(empty_as_null=True), current_user, version)
        db.session.commit()
    except (InvalidInput, Conflict) as e:
        db.session.rollback()
        return _render_form(legal_entities.get_legal_entity(legal_entity_id), request.form.to_dict(),
                            e.fields or {"": e.message}, e.status, version=raw_version)
    flash(_("Legal entity %(name)s saved.", name=entity.display_name), "success")
    return redirect(url_for("legal_entities.detail", legal_entity_id=legal_entity_id))


# --------------------------------------------------------------------------- legal entities: API


def _int_version(body: dict[str, Any]) -> Any:
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise BadRequest(_("`version` must be an integer."), code="malformed_json")
    return version


@api_bp.get("", endpoint="list")
def api_list() -> Any:
    include_inactive = request.args.get("include_inactive") in ("1", "true")
    items = legal_entities.list_legal_entities(include_inactive=include_inactive)
    return jsonify({"items": [legal_entities.legal_entity_json(e) for e in items], "total": len(items)})


@api_bp.post("")
def api_create() -> Any:
    entity = legal_entities.create_legal_entity(json_body(), current_user)
    payload = legal_entities.legal_entity_json(entity)
    db.session.commit()
    return jsonify(payload), 201


@api_bp.get("/<int:legal_entity_id>")
def api_get(legal_entity_id: int) -> Any:
    return jsonify(legal_entities.legal_entity_json(legal_entities.get_legal_entity(legal_entity_id)))


@api_bp.patch("/<int:legal_entity_id>")
def api_update(legal_entity_id: int) -> Any:
    body = json_body()
    entity = legal_entities.update_legal_entity(legal_entity_id, body, current_user, _int_version(body))
    payload = legal_entities.legal_entity_json(entity)
    db.session.commit()
    return jsonify(payload)


# --------------------------------------------------------------------------- contracts: their own pages


def _deal_version() -> Any:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else raw or None


def add_contract_views(bp: Blueprint) -> None:
    """The contract's verbs on its pages blueprint ("contracts")."""

    @bp.post("/contracts/<int:record_id>/agreements")
    @login_required
    def add_agreement(record_id: int) -> Any:
        kind = get_kind("agreement")
        try:
            data = records.coerce_form(kind, request.form, current_user.timezone)
            agreement = services.create_agreement(record_id, data, current_user)
        except InvalidInput as e:
            db.session.rollback()
            flash(e.summary, "error")
            return redirect(url_for("contracts.detail", record_id=record_id, _anchor="agreements"))
        db.session.commit()
        flash(kind.message("created", _l("%(number)s created."), number=agreement.display_number), "success")
        return redirect(url_for("agreements.detail", record_id=agreement.id))

    @bp.post("/deals/<int:deal_id>/contract")
    @login_required
    def deal_contract(deal_id: int) -> Any:
        """The deal card's Contract widget: select an existing contract, create one from the deal, or unlink."""
        action = request.form.get("action", "")
        deal_url = url_for("deals.detail", record_id=deal_id, _anchor="contract")
        try:
            if action == "select":
                raw = request.form.get("contract_id", "")
                if not raw.isdigit() or len(raw) > 9:
                    raise InvalidInput(fields={"contract_id": _("Choose a contract of the deal's counterparty.")})
                services.link_deal_contract(deal_id, int(raw), current_user, _deal_version())
                message = _("The contract is linked to the deal.")
            elif action == "create":
                contract = services.create_contract_from_deal(deal_id, {}, current_user, _deal_version())
                db.session.commit()
                flash(_("Contract %(number)s created from the deal.", number=contract.display_number), "success")
                return redirect(url_for("contracts.detail", record_id=contract.id))
            elif action == "unlink":
                services.unlink_deal_contract(deal_id, current_user, _deal_version())
                message = _("The contract is no longer linked to the deal.")
            else:
                raise BadRequest(_("Choose what to do with the contract."))
        except PermissionDenied:
            raise
        except (InvalidInput, Conflict) as e:
            db.session.rollback()
            flash(e.summary, "error")
            return redirect(deal_url)
        db.session.commit()
        flash(message, "success")
        return redirect(deal_url)


def add_contract_api(bp: Blueprint) -> None:
    """The contract's own routes under /api/v1/contracts ("contracts_api")."""

    @bp.get("/<int:record_id>/agreements")
    def list_agreements(record_id: int) -> Any:
        items = services.agreements_of_contract(record_id, current_user)
        kind = get_kind("agreement")
        return jsonify({"items": [record_json(kind, a) for a in items], "total": len(items)})

    @bp.post("/<int:record_id>/agreements")
    def add_agreement(record_id: int) -> Any:
        body = json_body()
        agreement = services.create_agreement(record_id, body, current_user)
        payload = record_json(get_kind("agreement"), agreement)
        db.session.commit()
        return jsonify(payload), 201

    @bp.post("/from-deal/<int:deal_id>")
    def create_from_deal(deal_id: int) -> Any:
        body = json_body()
        version = _int_version(body)
        data = {k: v for k, v in body.items() if k != "version"}
        contract = services.create_contract_from_deal(deal_id, data, current_user, version)
        payload = record_json(get_kind("contract"), contract)
        db.session.commit()
        return jsonify(payload), 201

    @bp.post("/<int:record_id>/link-deal")
    def link_deal(record_id: int) -> Any:
        body = json_body()
        deal_id = body.get("deal_id")
        if isinstance(deal_id, bool) or not isinstance(deal_id, int):
            raise BadRequest(_("`deal_id` must be an integer."), code="malformed_json")
        deal = services.link_deal_contract(deal_id, record_id, current_user, _int_version(body))
        payload = {"deal_id": deal.id, "contract_id": deal.contract_id, "version": deal.version}
        db.session.commit()
        return jsonify(payload)


__all__ = ["bp", "api_bp", "add_contract_views", "add_contract_api"]


# --------------------------------------------------------------------------- card widgets' data


@bp.app_template_global("deal_contract_widget")
def deal_contract_widget(deal: Any) -> dict[str, Any]:
    """The deal card's Contract widget: the linked contract (if the user sees it) and the contracts to select."""
    contract = services.deal_contract(deal)
    if contract is not None:
        try:
            contract = services.get_contract(contract.id, current_user)
        except CrmError:  # linked, but not visible to this user: shown by number only
            return {"contract": None, "hidden_number": contract.display_number, "choices": [],
                    "kind": get_kind("contract")}
    return {"contract": contract, "hidden_number": None, "kind": get_kind("contract"),
            "choices": [c for c in services.deal_contract_choices(deal, current_user)
                        if contract is None or c.id != contract.id]}


@bp.app_template_global("contract_agreements_widget")
def contract_agreements_widget(contract: Any) -> dict[str, Any]:
    """The contract card's Additional agreements widget: the agreements the user sees and the new-agreement form."""
    kind = get_kind("agreement")
    return {"items": services.agreements_of_contract(contract.id, current_user), "kind": kind,
            "schema": records.card_schema(kind), "effective_amount": services.effective_amount(contract)}
