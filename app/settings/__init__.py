"""Settings: the "Configuration" journal (key, value, description) that administrators edit.

Domains declare the settings they read (`SettingSpec`: default, description, validation, how to mask a
secret) and register them on the app (`register_settings`); a value is read from the database on every
use, so a change applies at the next use without a restart. Secrets (IMAP passwords) are never shown
back: pages, API and logs get the masked value, and a submitted mask keeps the stored secret.

Allowed imports: `app.auth`, `app.access`, `app.db`, `app.errors`, `app.extensions`. Never a domain
that declares settings (they import this package, not the reverse).
"""
