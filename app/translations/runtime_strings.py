"""Msgids that only exist at runtime, listed here so that `pybabel extract` (see app/babel.cfg) keeps them.

Templates translate these with `_(value)`: BPMN task names (`_(task.title)`), JSON-schema form titles,
descriptions and enum values (macros/forms.html) and group names. The extractor cannot see them, so without
this list `pybabel update` would mark their Russian translations obsolete. This module is never imported;
`N_` is one of Babel's default keywords. Keep it in step with bpmn/*.bpmn and forms/**/*.schema.json
(tests/unit/test_i18n.py checks the BPMN names and the form schemas against the catalog).

Display labels of stored ids (lead/deal/assignment/task statuses, outcomes, history fields, counterparty
types and kinds) are NOT listed here: they live in app/labels.py as `lazy_pgettext(context, label)` and
the extractor picks them up through the `-k _p:1c,2 -k lazy_pgettext:1c,2` keywords (see app/babel.cfg).
Only ids that some code still passes through a bare `_()` stay below.
"""
from __future__ import annotations


def N_(message: str) -> str:
    """Mark a string for extraction without translating it."""
    return message


RUNTIME_MSGIDS = (
    # Process name and user-task names (bpmn/assignment.bpmn); also the form schema titles.
    N_("Assignment"),
    N_("Complete assignment"),
    N_("Review result"),
    N_("Overdue assignment"),
    # bpmn/lead_qualification.bpmn and forms/lead_qualification/*.schema.json.
    N_("Lead qualification"),
    N_("Take to work"),
    N_("Lead not taken to work"),
    N_("Not processed"),
    N_("Interest expressed"),
    N_("Paused"),
    N_("Disqualify lead"),
    N_("Disqualification reason"),
    N_("Choices come from the disqualification reasons directory."),
    # Card forms (forms/crud/lead.schema.json, deal.schema.json, contact.schema.json): titles, x-message
    # and x-empty texts that macros/forms.html passes through _().
    N_("Lead"),
    N_("Deal"),
    N_("Name"),
    N_("Company (free text)"),
    N_("Counterparty"),
    N_("Choose an existing counterparty."),
    N_("— none —"),
    N_("Amount"),
    N_("Enter an amount like 1250.00."),
    N_("Number of users"),
    N_("Enter a whole number of 0 or more."),
    N_("Request type"),
    N_("—"),
    N_("Request category"),
    N_("Request source"),
    N_("Description"),
    N_("Site email"),
    N_("Site page"),
    N_("Date received"),
    N_("Responsible"),
    N_("Unassigned (CRM Managers take it to work)"),
    N_("UTM source"),
    N_("UTM medium"),
    N_("UTM campaign"),
    N_("UTM content"),
    N_("UTM term"),
    N_("GA client id"),
    N_("YM client id"),
    N_("Contact person"),
    N_("Position"),
    N_("Department"),
    N_("Enter a phone number."),
    N_("Main contact"),
    # bpmn/deal_progression.bpmn: the process and its status task names.
    N_("Deal progression"),
    N_("Initial contact"),
    N_("Needs assessment"),
    N_("Presentation"),
    N_("Proposal preparation"),
    N_("Prototype"),
    N_("Decision making"),
    N_("Rejected"),
    N_("Dropped out"),
    # bpmn/deal_progression.bpmn: inbox tasks (also the titles of forms/deal_progression/*.schema.json).
    N_("Stale deal"),
    N_("Prepare the proposal"),
    # Form fields (forms/assignment/*.schema.json): titles, descriptions, enum values and enumNames.
    N_("Result"),
    N_("What was done."),
    N_("Comment"),
    N_("Decision"),
    N_("Required when returning the assignment for rework."),
    N_("Accept"),
    N_("Return for rework"),
    # forms/crud/counterparty.schema.json (the client card): titles, descriptions and oneOf titles.
    N_("Client"),
    N_("Type"),
    N_("Buyer"),
    N_("Supplier"),
    N_("Partner"),
    N_("Kind"),
    N_("Legal entity"),
    N_("Sole proprietor"),
    N_("Individual"),
    N_("Full name"),
    N_("Short name"),
    N_("Phone"),
    N_("Email"),
    N_("INN"),
    N_("10 digits for a legal entity, 12 for a sole proprietor or an individual."),
    N_("KPP"),
    N_("OGRN / OGRNIP"),
    N_("OKPO"),
    N_("CEO"),
    N_("Legal address"),
    N_("Postal address"),
    N_("Bank"),
    N_("BIK"),
    N_("Settlement account"),
    N_("Correspondent account"),
    # Enum values of forms/assignment/review_result.schema.json `decision`: macros/forms.html renders the
    # <option> text as _(value) (it ignores enumNames), so these read as the choices "Accept"/"Return for
    # rework". Shown outcomes use label("task_outcome", ...) instead.
    N_("accept"),
    N_("rework"),
    # Group names (app.auth.services.default_groups).
    N_("CRM Manager"),
    N_("Commercial Director"),
    N_("Administrator"),
    N_("Process analyst"),
    # Form validation messages of workflows.forms._message (fixed ones; shown as field errors).
    N_("This field is required."),
    N_("Select a valid choice."),
    N_("Enter a whole number."),
    N_("Enter a number."),
    N_("Choose yes or no."),
    N_("Enter text."),
    N_("Enter a list of values."),
    N_("Enter a valid value."),
    N_("Enter a valid date."),
    N_("Enter a valid date and time."),
    N_("Enter a valid email address."),
    N_("Enter a valid URL."),
    N_("Enter a valid time."),
    N_("Enter a value in the expected format."),
    N_("Unexpected fields were submitted."),
    N_("Check the selected values."),
    # bpmn/contract_cycle.bpmn, bpmn/agreement_cycle.bpmn, forms/contract_cycle/*.schema.json and the card forms
    # forms/crud/contract.schema.json, agreement.schema.json, legal_entity.schema.json.
    N_("Contract cycle"),
    N_("Additional agreement cycle"),
    N_("Approve the contract"),
    N_("Draft"),
    N_("Signing"),
    N_("Active"),
    N_("Approve"),
    N_("Return for rework"),
    N_("approve"),
    N_("return"),
    N_("Decision"),
    N_("Required to return the contract: what to change."),
    N_("Contract"),
    N_("Contract number"),
    N_("Contract date"),
    N_("Our legal entity"),
    N_("Contract kind"),
    N_("Currency"),
    N_("Valid until"),
    N_("Signatory"),
    N_("Subject"),
    N_("Me"),
    N_("Enter a date like 2026-12-01."),
    N_("Additional agreement"),
    N_("Agreement number"),
    N_("Agreement date"),
    N_("Amount change"),
    N_("Enter an amount like 1250.00 or -300.00."),
    N_("Full name"),
    N_("Short name"),
    N_("Address"),
    N_("Director"),
    N_("Chief accountant"),
    N_("INN"),
    N_("KPP"),
    N_("OGRN"),
    N_("Bank"),
    N_("BIK"),
    N_("Bank account"),
    N_("Correspondent account"),
)
