"""The products and services catalog: what a deal's lines are picked from (issue 8 #3).

    models.py    Product (name, type, unit, price, VAT rate, active, version)
    services.py  list/get/create/update/deactivate, who edits, the money math shared with deal lines
    views.py     /catalog pages; api.py: /api/v1/products
"""
