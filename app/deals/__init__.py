"""Deals. Minimal for now: created from a qualified lead, listed and opened."""
