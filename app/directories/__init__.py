"""Directories (reference lists): request categories and sources, disqualification reasons, VAT rates, units.

Allowed imports: `app.db`, `app.extensions`, `app.errors`, `app.access.services` (admin check in views).
Other domains read entries through `app.directories.services`, never through the model.
"""
