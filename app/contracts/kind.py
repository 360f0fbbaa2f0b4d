"""Contracts and additional agreements as record kinds: statuses, card forms, journals, widgets.

Everything they share with other records comes from `app.records`; this is the declaration.
A contract goes draft → approval (the Commercial Director approves or returns it with a comment) →
signing → active → annulled, and an active one is archived by a timer once its "valid until" day is over
(bpmn/contract_cycle.bpmn). An additional agreement goes draft → active → annulled (bpmn/agreement_cycle.bpmn).
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.contracts import services
from app.contracts.models import AdditionalAgreement, AgreementContact, Contract, ContractContact
from app.errors import InvalidInput
from app.records.kinds import ExportColumn, Filter, RecordKind, StatusSpec, export_columns


def _legal_entity_required(contract: Contract) -> None:
    if contract.legal_entity_id is None:
        raise InvalidInput(_("Choose our legal entity before sending the contract for approval."),
                           code="guard_failed", fields={"legal_entity_id": _("This field is required.")})


def _contract_json(contract: Contract) -> dict[str, Any]:
    return {"deal_id": contract.deal_id, "file_id": contract.file_id,
            "effective_amount": services.effective_amount(contract),
            "agreement_ids": [a.id for a in contract.agreements]}


CONTRACT = RecordKind(
    name="contract", plural="contracts", title=_l("Contract"), title_plural=_l("Contracts"), model=Contract,
    contact_model=ContractContact, process_id="contract_cycle",
    statuses=(StatusSpec("draft", "secondary"),
              StatusSpec("approval", "warning", bulk_target=False),
              StatusSpec("signing", "info"),
              StatusSpec("active", "success"),
              StatusSpec("annulled", "dark", is_terminal=True),
              StatusSpec("archived", "light", is_terminal=True, bulk_target=False)),
    card_form="crud/contract.schema.json",
    tracked_fields=("name", "amount", "contract_number", "contract_date", "valid_until"),
    start_data=lambda contract: {"contract_id": contract.id},
    filters=(Filter("kind", "kind", "contract_kind", _l("Contract kind")),),
    export_columns=export_columns("number", "name", "status", "responsible", "client", "amount", "created", extra=(
        ExportColumn(_l("Contract number"), lambda c: c.contract_number or ""),
        ExportColumn(_l("Contract date"), lambda c: c.contract_date),
        ExportColumn(_l("Our legal entity"), lambda c: c.legal_entity.display_name if c.legal_entity else ""),
        ExportColumn(_l("Currency"), lambda c: c.currency),
        ExportColumn(_l("Valid until"), lambda c: c.valid_until))),
    journal_columns=("number", "name", "status", "client", "responsible", "amount", "created"),
    guards={"approval": _legal_entity_required},
    header_widgets=("contracts/_deal_link.html",),
    main_widgets=("contracts/_agreements.html",),
    side_widgets=("contracts/_requisites.html",),
    service_tasks={"crm.contract_expiry": services.contract_expiry,
                   "crm.contract_returned": services.contract_returned},
    action_labels={"approval": _l("Send for approval"), "active": _l("Signed"), "annulled": _l("Annul")},
    messages={"created": _l("Contract %(number)s created."),
              "not_created": _l("The contract was not created: %(errors)s")},
    moved_message=lambda n: ngettext("%(num)s contract moved.", "%(num)s contracts moved.", n),
    extra_json=_contract_json,
    prepare_new=services.prepare_contract,
    quick_create_responsible_self=True,
    history_directories={"kind": "contract_kind"},
    field_options={"legal_entities": services.legal_entity_options},
    check_card=services.check_contract_card,
    extend_blueprint=lambda bp: _views().add_contract_views(bp),
    extend_api_blueprint=lambda bp: _views().add_contract_api(bp),
)


AGREEMENT = RecordKind(
    name="agreement", plural="agreements", title=_l("Additional agreement"),
    title_plural=_l("Additional agreements"), model=AdditionalAgreement, contact_model=AgreementContact,
    process_id="agreement_cycle",
    statuses=(StatusSpec("draft", "secondary"), StatusSpec("active", "success"),
              StatusSpec("annulled", "dark", is_terminal=True)),
    card_form="crud/agreement.schema.json",
    created_on="contract",
    tracked_fields=("name", "agreement_number", "agreement_date", "amount_change"),
    start_data=lambda agreement: {"agreement_id": agreement.id},
    export_columns=export_columns("number", "name", "status", "responsible", "client", "created", extra=(
        ExportColumn(_l("Contract"), lambda a: a.contract.display_number),
        ExportColumn(_l("Agreement number"), lambda a: a.agreement_number or ""),
        ExportColumn(_l("Amount change"), lambda a: a.amount_change))),
    journal_columns=("number", "name", "status", "client", "responsible", "created"),
    header_widgets=("contracts/_agreement_contract_link.html",),
    action_labels={"annulled": _l("Annul")},
    messages={"created": _l("Additional agreement %(number)s created."),
              "not_created": _l("The additional agreement was not created: %(errors)s")},
    moved_message=lambda n: ngettext("%(num)s additional agreement moved.", "%(num)s additional agreements moved.",
                                     n),
    extra_json=lambda a: {"contract_id": a.contract_id, "amount_change": a.amount_change},
    prepare_new=services.prepare_agreement,
)


def _views() -> Any:
    # Local import: the contract's pages import this declaration (views → kind, never the reverse).
    from app.contracts import views

    return views
