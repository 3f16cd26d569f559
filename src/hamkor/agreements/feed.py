"""The due dates of roadmap items as an iCalendar feed, for the calendar app on a phone.

The feed holds the items the reader may see through the access choke point, so a confidential
agreement's items reach its parties' people only, as its pages do. Items done or cancelled
stay in it as CANCELLED, so that clients drop the events they had.
"""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hamkor.agreements.due import OPEN
from hamkor.agreements.models import RoadmapItem
from hamkor.core.access import Actor, restrict
from hamkor.core.i18n import N_, Translator

TITLE = N_("Due dates of agreements")
DESCRIPTION = N_("%(item)s: a roadmap item of the agreement %(agreement)s.")


def _event(item: RoadmapItem, translator: Translator) -> Event:
    agreement = translator.name(item.agreement.titles)
    event = Event()
    event.add("uid", f"roadmap-item-{item.id}@hamkor")
    event.add("dtstamp", item.updated_at)
    event.add("last-modified", item.updated_at)
    # A whole day: a due date has no hour.
    event.add("dtstart", item.due_on)
    event.add("dtend", item.due_on + timedelta(days=1))
    event.add("summary", translator.name(item.titles))
    event.add(
        "description",
        translator.gettext(DESCRIPTION, item=translator.name(item.titles), agreement=agreement),
    )
    event.add("status", "CONFIRMED" if item.status in OPEN else "CANCELLED")
    return event


def due_dates(*, db: Session, actor: Actor, translator: Translator) -> bytes:
    """Every roadmap item the actor may see, as an all-day event on its due date."""
    items = db.scalars(
        restrict(select(RoadmapItem), actor)
        .options(selectinload(RoadmapItem.agreement))
        .order_by(RoadmapItem.due_on, RoadmapItem.id)
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Hamkor//Agreements//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", translator.gettext(TITLE))
    for item in items:
        calendar.add_component(_event(item, translator))
    ical: bytes = calendar.to_ical()
    return ical
