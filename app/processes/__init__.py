"""Process versions and instances; `services.py` is the only caller of `workflows`."""
