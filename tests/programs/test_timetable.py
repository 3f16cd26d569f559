"""The timetable (issue 20): blocks placed by their local start and duration, overlapping ones
both shown and flagged, the days the calendar pages through, and refusals of a bad address."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from hamkor.core.access import Actor
from hamkor.core.errors import UserError
from hamkor.core.i18n import Translator
from hamkor.programs import service
from hamkor.programs.timetable import DayPage, TimetableBy, day_page, program_days, tracks
from tests.fixtures.core import ClientFactory
from tests.fixtures.programs import ActivityFactory, KzUzDays

EN = {"accept-language": "en"}
#: A moment after the demo program (13–17 October 2025): today is outside it.
LATER = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _grid(
    db: Session, days: KzUzDays, by: TimetableBy, day: date = date(2025, 10, 13)
) -> service.TimetableView:
    return service.timetable_view(
        db=db,
        actor=Actor.of(days.coordinator),
        program=days.program,
        by=by,
        day=day,
        now=LATER,
        translator=Translator("en"),
    )


def test_a_block_of_ninety_minutes_from_ten_spans_six_quarter_hours(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    create_activity(days.program, city=days.tashkent, start="09:00", end="09:45", title="Early")
    talk = create_activity(
        days.program,
        city=days.samarkand,
        start="10:00",
        end="11:30",
        room=days.samarkand_theatre,
        title="Talk",
    )
    grid = _grid(db, days, TimetableBy.ROOM).grid
    assert (grid.first_hour, grid.hours) == (9, 3)  # 09:00 to 12:00, whole hours around
    assert [line for _hour, line in grid.axis] == [2, 6, 10]
    blocks = {b.activity.id: b for lane in grid.lanes for b in lane.blocks}
    # Line 1 names the lane; 09:00 is line 2, so 10:00 is four quarter hours on.
    assert (blocks[talk.id].line, blocks[talk.id].span, blocks[talk.id].track) == (6, 6, 1)
    early = next(b for b in blocks.values() if b.activity.id != talk.id)
    assert (early.line, early.span) == (2, 3)


def test_overlapping_activities_in_one_room_are_both_shown_and_flagged(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    first = create_activity(
        days.program, city=days.tashkent, room=days.operating_room, start="09:00", end="11:00"
    )
    second = create_activity(
        days.program, city=days.tashkent, room=days.operating_room, start="10:00", end="12:00"
    )
    after = create_activity(
        days.program, city=days.tashkent, room=days.operating_room, start="12:00", end="13:00"
    )
    view = _grid(db, days, TimetableBy.ROOM)
    (lane,) = view.grid.lanes
    assert lane.key == f"room-{days.operating_room.id}"
    assert lane.tracks == 2
    placed = {b.activity.id: b for b in lane.blocks}
    assert placed[first.id].track == 1
    assert placed[second.id].track == 2
    assert placed[after.id].track == 1  # the first track is free again at noon
    assert [c.kind for c in placed[first.id].conflicts] == ["room_overlap"]
    assert placed[second.id].conflicts == placed[first.id].conflicts
    assert placed[after.id].conflicts == []
    assert view.grid.flagged == 2


def test_lanes_by_specialist_and_city_and_only_the_days_activities(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    create_activity(days.program, city=days.tashkent, leads=[days.surgeon, days.second_surgeon])
    create_activity(days.program, city=days.samarkand, start="13:00", end="14:00")
    create_activity(days.program, city=days.bukhara, day=date(2025, 10, 14))
    by_lead = _grid(db, days, TimetableBy.SPECIALIST).grid
    assert [lane.key for lane in by_lead.lanes] == [
        f"person-{days.surgeon.id}",
        f"person-{days.second_surgeon.id}",
        "no-lead",
    ]
    by_city = _grid(db, days, TimetableBy.CITY).grid
    assert [lane.title for lane in by_city.lanes] == ["Samarkand", "Tashkent"]
    next_day = _grid(db, days, TimetableBy.CITY, date(2025, 10, 14)).grid
    assert [lane.title for lane in next_day.lanes] == ["Bukhara"]


@given(
    st.lists(
        st.tuples(st.integers(0, 90), st.integers(1, 12)).map(lambda s: (s[0], s[0] + s[1])),
        max_size=30,
    )
)
def test_no_two_blocks_of_a_track_overlap_and_no_track_is_wasted(
    spans: list[tuple[int, int]],
) -> None:
    spans.sort()
    chosen = tracks(spans)
    for i, (start, end) in enumerate(spans):
        for j in range(i):
            other_start, other_end = spans[j]
            if chosen[i] == chosen[j]:
                assert other_end <= start or end <= other_start
    # As many tracks as the most spans that share one quarter hour: no more.
    busiest = max((sum(s <= q < e for s, e in spans) for q in range(102)), default=0)
    assert max(chosen, default=0) == busiest


# --- days ----------------------------------------------------------------------------------


OCTOBER = [date(2025, 10, day) for day in range(13, 18)]


def test_the_calendar_opens_on_today_inside_the_program_else_on_its_first_day() -> None:
    assert day_page(OCTOBER, None, date(2025, 10, 15)) == DayPage(date(2025, 10, 15), OCTOBER)
    assert day_page(OCTOBER, None, date(2026, 12, 7)) == DayPage(date(2025, 10, 13), OCTOBER)
    assert day_page(OCTOBER, None, date(2025, 10, 12)) == DayPage(date(2025, 10, 13), OCTOBER)
    assert day_page([], None, date(2025, 10, 15)) is None


def test_the_first_and_last_days_have_no_day_before_or_after() -> None:
    first = day_page(OCTOBER, date(2025, 10, 13), date(2026, 12, 7))
    last = day_page(OCTOBER, date(2025, 10, 17), date(2026, 12, 7))
    assert first is not None
    assert last is not None
    assert (first.previous, first.next) == (None, date(2025, 10, 14))
    assert (last.previous, last.next) == (date(2025, 10, 16), None)


@pytest.mark.parametrize("asked", [date(2025, 10, 12), date(2025, 10, 18)])
def test_a_day_outside_the_program_is_refused_naming_the_field(asked: date) -> None:
    with pytest.raises(UserError) as refused:
        day_page(OCTOBER, asked, date(2026, 12, 7))
    assert [e.field for e in refused.value.errors] == ["day"]


def test_a_filter_of_days_narrows_the_programs_days(kz_uz_days: KzUzDays) -> None:
    program = kz_uz_days.program
    assert program_days(program) == OCTOBER
    assert program_days(program, date(2025, 10, 16), None) == OCTOBER[3:]
    assert program_days(program, None, date(2025, 10, 1)) == []


# --- pages ---------------------------------------------------------------------------------


def test_the_timetable_page_shows_blocks_with_their_conflicts_marked(
    client_for: ClientFactory, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    create_activity(
        days.program,
        city=days.tashkent,
        room=days.operating_room,
        leads=[days.surgeon],
        title="Bypass",
    )
    create_activity(
        days.program,
        city=days.tashkent,
        room=days.operating_room,
        start="10:00",
        end="11:30",
        title="Valve repair",
    )
    client = client_for(days.coordinator)
    page = client.get(f"/programs/{days.program.id}/timetable", headers=EN)
    assert page.status_code == 200
    html = page.text
    assert '<h2 id="shown-day">Monday, October 13, 2025</h2>' in html
    blocks = re.findall(r'<article class="t-block ([^"]*)"', html)
    assert blocks == [
        "t-at-2 t-span-8 t-track-1 kind-master_class status-planned has-conflict",
        "t-at-6 t-span-6 t-track-2 kind-master_class status-planned has-conflict",
    ]
    assert html.count("⚠</span> 1 conflict</p>") == 2
    assert "Operating room 1 is booked twice at the same time: Bypass and Valve repair." in html
    assert "9:00\u202fAM–11:00\u202fAM" in html
    assert 'rel="next" href="?by=room&amp;day=2025-10-14"' in html
    # The list beside it, on the same day.
    assert f'href="/programs/{days.program.id}/calendar?day=2025-10-13"' in html


@pytest.mark.parametrize(
    ("address", "field"),
    [
        ("timetable?by=day", "by"),
        ("timetable?by=nonsense", "by"),
        ("timetable?day=yesterday", "day"),
        ("timetable?day=2025-10-20", "day"),
        ("calendar?day=2025-10-12", "day"),
        ("calendar?day=2025-02-30", "day"),
        ("calendar?from=2025-10-16&day=2025-10-14", "day"),
    ],
)
def test_a_bad_day_or_lanes_are_refused_in_the_readers_language(
    client_for: ClientFactory, kz_uz_days: KzUzDays, address: str, field: str
) -> None:
    client = client_for(kz_uz_days.coordinator)
    response = client.get(
        f"/programs/{kz_uz_days.program.id}/{address}", headers={"accept-language": "ru"}
    )
    assert response.status_code == 422
    assert f"<code>{field}</code>: " in response.text
    message = re.search(rf"<code>{field}</code>: ([^<]*)</li>", response.text)
    assert message is not None
    assert re.search("[а-яА-Я]", message.group(1)), message.group(1)
