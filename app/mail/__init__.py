"""Mail: reading incoming email into CRM data (deals from website forms, email activities on deals).

Two layers:
- pure parsing (`parsing`, `sanitize`, `form_fields`): bytes in, plain data out. No database, no IMAP,
  no Flask app needed. Allowed imports: the standard library, `nh3`, `flask_babel` (lazy strings only)
  and `app.errors`; `form_fields`' directory loaders also read `app.directories.services`.
- intake (`models`, `intake`, `imap`, `views`, `api`): the mailboxes, the intake log and turning a
  parsed message into a deal or an activity through the other domains' services.

`app.mail` never imports `workers`; the mail worker calls into `app.mail.intake`.
"""
