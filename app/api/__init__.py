"""The JSON API (/api/v1): the same services as the pages, DESIGN §6 conventions."""
