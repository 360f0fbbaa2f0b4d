"""Comments on records of any kind: who may read and write them, on top of `app.activities`.

Whoever sees a record reads its comments; whoever may write it (its responsible person, the
Commercial Director, administrators) comments, also on a closed record (a comment changes none of its
fields). An observer reads only. Writes flush only. Raises NotFound, PermissionDenied, InvalidInput.
"""
from __future__ import annotations

from typing import Any

from app.activities import services as activities
from app.activities.models import Comment
from app.auth.models import User
from app.records.kinds import RecordKind
from app.records.services import require_edit, get_record


def add_comment(kind: RecordKind, record_id: int, text: Any, actor: User) -> Comment:
    """Comment on a record the actor may write. Raises NotFound, PermissionDenied, InvalidInput (`text`)."""
    record = get_record(kind, record_id, actor)
    require_edit(kind, record, actor, open_only=False)
    return activities.add_comment(kind.name, record.id, text, actor.id)


def list_comments(kind: RecordKind, record_id: int, actor: User) -> list[Comment]:
    """The comments of a record the actor may see, newest first. Raises NotFound."""
    record = get_record(kind, record_id, actor)
    return activities.list_comments(kind.name, record.id)
