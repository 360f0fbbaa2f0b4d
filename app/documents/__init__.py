"""Documents: the Document Library (folders, files, versions), links between records, and the
documents generated for records (proposal, invoice, act).

Layers: above `app.records` (a folder of a record and its links follow the record's visibility),
below nothing but the views. The library's files live on disk under CRM_DOCUMENTS_DIR, never in the
database.

    models.py      Folder (a tree; a record's folder is created on demand), DocumentFile, FileVersion,
                   RecordLink (a link between two records or a record and a library document)
    storage.py     store_file / record_folder / open_file: the one place that writes and reads files on
                   disk (safe names, size limit, a new version for the same name); used by the library,
                   the generated documents and mail intake
    library.py     who reads and writes what, and the library's verbs (folders, upload, rename, move,
                   delete, versions)
    links.py       Document Links: link, list both ways, unlink (visibility-filtered)
    views.py       /documents pages and the card widget; api.py: /api/v1/documents/{folders,files,links}
"""
