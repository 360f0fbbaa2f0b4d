"""Record history: who changed which tracked field of a record, when, from what to what."""
