"""The machinery every record kind shares: one card, journal, kanban, status hub, visibility,
history and API for leads, deals and every kind after them.

Layers: above `processes`, `tasks` and `activities`, below the record domains (`app.leads`,
`app.deals`, ...). It never imports a record domain (an import-linter contract); a domain declares a
`RecordKind` and the factory registers it.

    kinds.py     RecordKind: statuses, card form, journal, widgets, service tasks (the declaration)
    models.py    RecordMixin, ContactMixin, the one observers table
    forms.py     card forms (JSON Schema under forms/crud) for pages and API alike
    services.py  visible_filter, get_record, can_edit, create/update with history, responsible,
                 observers, status_actions, change_status(_many), crm.set_status / crm.set_responsible
    contacts.py  contact persons of any kind
    journal.py   filter from request args, list, kanban (one grouped query), cards, export rows
    views.py     make_blueprint(kind): the pages; api.py: make_api_blueprint(kind): /api/v1/<plural>
    templates/records/  journal, kanban, card (+ the kind's widgets), new, status form, people, contacts,
                 tasks, history

Declaring a new kind (the deal, app/deals/):

1. The model, on the mixins (app/deals/models.py) and its Alembic migration:

       class Deal(RecordMixin, Base):
           __tablename__ = "deals"
           __record_type__ = "deal"       # record_type of processes, tasks and history rows
           number_prefix = "D"            # D-17
           lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id"))   # its own columns
           contacts: Mapped[list["DealContact"]] = relationship(cascade="all, delete-orphan")

       class DealContact(ContactMixin, Base):
           __tablename__ = "deal_contacts"
           deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="CASCADE"))

2. The process, bpmn/deal_progression.bpmn: a status hub with one user task per status carrying
   `crm_kind=status`, `status=<id>`, `allowed_next=<ids>` (optionally `transition_forms`), and the
   generic operators `crm.set_status(record_type, record_id, status)` / `crm.set_responsible(...)`.
3. The card form, forms/crud/deal.schema.json (`x-section`, `x-col`, `x-directory`, `x-options`,
   `x-message` drive the page; the same schema validates the API).
4. The status labels in app/labels.py (`deal_status`) and the Russian catalog.
5. The declaration, app/deals/kind.py:

       DEAL = RecordKind(
           name="deal", plural="deals", title=_l("Deal"), title_plural=_l("Deals"),
           model=Deal, contact_model=DealContact, process_id="deal_progression",
           statuses=(StatusSpec("not_processed", "secondary", _l("0% Processing")), ...,
                     StatusSpec("completed", "success", _l("100% Win"), is_terminal=True)),
           card_form="crud/deal.schema.json", tracked_fields=("name", "amount"),
           start_data=lambda deal: {"deal_id": deal.id},
           filters=(Filter("source", "request_source", "request_source", _l("Source")),),
           export_columns=(ExportColumn(_l("Number"), lambda r: r.display_number), ...),
           main_widgets=("deals/_lead_link.html",),
       )

6. Register it in `app._register_record_kinds` (kinds = (LEAD, DEAL)). The kind now has
   /deals (journal), /deals/kanban, /deals/<id> (card), /deals/new, exports, the status hub from
   card, kanban, journal and API, and /api/v1/deals[/<id>[/actions|/status|/responsible|/observers|
   /contacts]]; tests/integration/test_record_kinds.py and tests/workflows/test_record_kind_statuses.py
   run for it once its name is added to their KINDS.

Its own verbs (a deal's products, merge, ...) live in app/deals/services.py and, for pages,
`RecordKind.extend_blueprint` (see how app/leads/views.py adds "Create Counterparty").
"""
