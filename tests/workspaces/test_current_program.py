"""The program a workspace opens on, and the day it shows, decided by dates given (issue 20)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from hamkor.core.access import Actor, Grant
from hamkor.core.models import Role
from hamkor.programs.models import ProgramStatus
from hamkor.programs.service import current_program
from hamkor.workspaces.service import program_day
from tests.fixtures.programs import ProgramFactory

EVERYWHERE = Actor(user_id=1, username="ministry", grants=(Grant(Role.PROGRAM_COORDINATOR),))


def test_running_then_next_then_latest_past(db: Session, create_program: ProgramFactory) -> None:
    past = create_program(starts_on=date(2025, 10, 13), ends_on=date(2025, 10, 17))
    later_past = create_program(starts_on=date(2025, 10, 27), ends_on=date(2025, 11, 8))
    coming = create_program(starts_on=date(2027, 3, 1), ends_on=date(2027, 3, 5))
    create_program(
        starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 20), status=ProgramStatus.CANCELLED
    )

    def current(today: date, among: set[int] | None = None) -> int | None:
        found = current_program(db=db, actor=EVERYWHERE, today=today, among=among)
        return found.id if found else None

    assert current(date(2025, 10, 15)) == past.id  # running
    assert current(date(2025, 10, 17)) == past.id  # its last day still runs
    assert current(date(2025, 10, 20)) == later_past.id  # the next to start
    assert current(date(2026, 12, 7)) == coming.id  # a cancelled one is never current
    assert current(date(2027, 6, 1)) == coming.id  # the latest to have ended
    assert current(date(2026, 12, 7), among={past.id, later_past.id}) == later_past.id
    assert current(date(2026, 12, 7), among=set()) is None


def test_only_programs_the_reader_sees(db: Session, create_program: ProgramFactory) -> None:
    mine = create_program(starts_on=date(2025, 10, 13), ends_on=date(2025, 10, 17))
    create_program(starts_on=date(2025, 10, 27), ends_on=date(2025, 11, 8))
    member = Actor(
        user_id=2, username="coordinator", grants=(Grant(Role.PROGRAM_COORDINATOR, None, mine.id),)
    )
    found = current_program(db=db, actor=member, today=date(2026, 12, 7))
    assert found is not None
    assert found.id == mine.id
    nobody = Actor(user_id=3, username="nobody")
    assert current_program(db=db, actor=nobody, today=date(2026, 12, 7)) is None


def test_the_day_shown_inside_and_outside_the_program(
    db: Session, create_program: ProgramFactory
) -> None:
    program = create_program(starts_on=date(2025, 10, 13), ends_on=date(2025, 10, 17))
    work = [date(2025, 10, 16), date(2025, 10, 14)]

    inside = program_day(program, date(2025, 10, 15), None, work)
    assert (inside.day, inside.outside) == (date(2025, 10, 15), False)
    assert (inside.previous, inside.next) == (date(2025, 10, 14), date(2025, 10, 16))

    after = program_day(program, date(2026, 12, 7), None, work)
    assert (after.day, after.outside) == (date(2025, 10, 14), True)  # the first day of work
    before = program_day(program, date(2025, 9, 1), None, [])
    assert (before.day, before.previous) == (date(2025, 10, 13), None)  # the program's first

    last = program_day(program, date(2026, 12, 7), date(2025, 10, 17), work)
    assert (last.day, last.next) == (date(2025, 10, 17), None)
    stray = program_day(program, date(2026, 12, 7), date(2030, 1, 1), work)
    assert stray.day == date(2025, 10, 14)  # a day outside the program is not shown
