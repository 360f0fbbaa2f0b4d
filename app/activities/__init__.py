"""Record history (field changes) and comments: generic for every record type (record_type, record_id)."""
