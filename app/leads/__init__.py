"""Leads: potential customers qualified by the `lead_qualification` process into deals."""
