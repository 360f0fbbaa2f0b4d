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

Generated documents (docxtpl templates from document_templates/, built by its build_templates.py):
    rendering.py          template + JSON context → .docx (→ .pdf with LibreOffice); amounts in words
    generation_models.py  GeneratedDocument: kind, record, number per legal entity and year, render and
                          document status, the library files
    generation.py         request (proposal from a deal, invoice/act from an approved order: the context is
                          taken from the record then), render (the job's body), retry, status, merge step
    generation_views.py   the cards' Documents tab, preview, download; /api/v1/.../documents
    generation_demo.py    demo documents; the render job itself is workers/documents.py
"""
