"""Our legal entities, contracts and their additional agreements.

    models.py          LegalEntity, Contract and AdditionalAgreement (record kinds), their contacts
    legal_entities.py  the legal entities directory: services (validated requisites, 409 on stale edits)
    services.py        get_contract, contracts_of_counterparty, the contract ↔ deal link, the process's
                       service tasks (expiry deadline, return comment)
    kind.py            CONTRACT and AGREEMENT: the record kind declarations (app/records machinery)
    views.py           legal entity pages and API, the deal's Contract widget routes, agreements from a contract
    demo.py            demo legal entity and contracts
"""
