"""What the program's pages and API routes share to reach a record by its address."""

from __future__ import annotations

from hamkor.core.access import Action
from hamkor.core.web import Ctx
from hamkor.programs import service
from hamkor.programs.service import ChildT


def child(
    ctx: Ctx, model: type[ChildT], program_id: int, record_id: int, action: Action = Action.VIEW
) -> ChildT:
    """The brigade, participation or activity at ``/programs/{program_id}/…/{record_id}`` for
    the route's caller: 404 when it is another program's, 403 (audited) when not theirs
    (``service.get_child``). Every such route said this in eight lines."""
    return service.get_child(
        db=ctx.db,
        actor=ctx.actor,
        model=model,
        record_id=record_id,
        program_id=program_id,
        action=action,
    )
