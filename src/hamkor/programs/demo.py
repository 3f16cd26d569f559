"""Programs in the demo: the 2025 visit with its brigades, their members' stays and their
activities, and the Moscow qualification course with its trainees.

Every row is found before it is made (a program by its code, an activity by brigade, kind,
place and start), so a second run adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hamkor.directory.demo import DirectoryDemo
from hamkor.directory.models import City, Country, Institution, Person, Specialty
from hamkor.programs.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Delegation,
    Participation,
    ParticipationRole,
    Program,
    ProgramKind,
    ProgramStatus,
)

_COURSE_TRAINEES_PER_HOSPITAL = 6


def _on_day(program: Program, day: int, clock: str, zone: str) -> datetime:
    """The UTC time of ``clock`` in ``zone`` on the program's ``day`` (1 for its first)."""
    local = datetime.combine(
        program.starts_on + timedelta(days=day - 1), time.fromisoformat(clock), ZoneInfo(zone)
    )
    return local.astimezone(ZoneInfo("UTC"))


def load_program(
    directory: DirectoryDemo, row: dict[str, Any], countries: dict[str, Country]
) -> Program:
    """The program of a seed row (the visit, or the qualification course), made once."""
    program = directory.by_code(Program, row["code"])
    if program is None:
        program = Program(
            code=row["code"],
            kind=ProgramKind(row["kind"]),
            status=ProgramStatus.PLANNED,
            names=row["names"],
            descriptions=row["descriptions"],
            guest_country=countries[row["guest_country"]],
            host_country=countries[row["host_country"]],
            starts_on=date.fromisoformat(row["start"]),
            ends_on=date.fromisoformat(row["end"]),
        )
        directory.add(program)
        directory.db.flush()
    return program


def _takes_part(directory: DirectoryDemo, program: Program, person: Person) -> bool:
    """Whether an earlier run made the person a participant of the program already."""
    return (
        directory.db.scalar(
            select(Participation.id).where(
                Participation.program_id == program.id, Participation.person_id == person.id
            )
        )
        is not None
    )


def brigades(
    directory: DirectoryDemo,
    program: Program,
    cities: dict[str, City],
    institutions: dict[str, Institution],
    specialties: dict[str, Specialty],
    rows: list[dict[str, Any]],
) -> dict[str, tuple[Delegation, list[Person]]]:
    """Each brigade with its members, who arrive in its first city and leave from its last."""
    brigades = {}
    for row in rows:
        delegation = directory.db.scalar(
            select(Delegation).where(
                Delegation.program_id == program.id, Delegation.code == row["code"]
            )
        )
        if delegation is None:
            delegation = Delegation(
                program=program,
                code=row["code"],
                names=row["names"],
                institution=institutions[row["institution"]],
            )
            directory.add(delegation)
        members = directory.people(
            prefix=f"KZ-{row['code']}",
            count=row["size"],
            nation="kk",
            institution=institutions[row["institution"]],
            specialties=[specialties[code] for code in row["specialties"]],
            languages=["kk", "ru"],
        )
        first_city, last_city = cities[row["cities"][0]], cities[row["cities"][-1]]
        for index, person in enumerate(members):
            if not _takes_part(directory, program, person):
                directory.add(
                    Participation(
                        program_id=program.id,
                        person=person,
                        delegation=delegation,
                        role=ParticipationRole.BRIGADE_LEAD
                        if index == 0
                        else ParticipationRole.SPECIALIST,
                        arrival_city=first_city,
                        arrives_at=_on_day(program, 1, "07:30", first_city.timezone)
                        - timedelta(days=1),
                        departure_city=last_city,
                        departs_at=_on_day(
                            program,
                            (program.ends_on - program.starts_on).days + 1,
                            "21:00",
                            last_city.timezone,
                        ),
                    )
                )
        brigades[row["code"]] = (delegation, members)
    directory.db.flush()
    return brigades


class _Diary:
    """Who leads what when, so that the demo gives nobody two activities at once.

    The demo's conflicts are the two the seed marks on purpose, not accidents of the loader.
    """

    def __init__(self) -> None:
        self.booked: dict[int, list[tuple[datetime, datetime]]] = {}

    def _free(self, person: Person, starts_at: datetime, ends_at: datetime) -> bool:
        taken = self.booked.get(person.id, [])
        return all(end <= starts_at or start >= ends_at for start, end in taken)

    def choose(
        self,
        members: list[Person],
        specialty: Specialty | None,
        starts_at: datetime,
        ends_at: datetime,
        *,
        count: int,
    ) -> list[Person]:
        """Up to ``count`` free members, those of the activity's specialty first."""
        qualified = [p for p in members if specialty is None or specialty in p.specialties]
        others = [p for p in members if p not in qualified]
        free = [p for p in qualified + others if self._free(p, starts_at, ends_at)]
        chosen = free[:count]
        for person in chosen:
            self.booked.setdefault(person.id, []).append((starts_at, ends_at))
        return chosen

    def join(self, person: Person | None, starts_at: datetime, ends_at: datetime) -> list[Person]:
        """The person, as one more lead, when free then (the seed names them: the demo
        specialist joins a consultation session, so their day has patients in it)."""
        if person is None or not self._free(person, starts_at, ends_at):
            return []
        self.booked.setdefault(person.id, []).append((starts_at, ends_at))
        return [person]


def activities(
    directory: DirectoryDemo,
    program: Program,
    cities: dict[str, City],
    institutions: dict[str, Institution],
    specialties: dict[str, Specialty],
    brigades: dict[str, tuple[Delegation, list[Person]]],
    rows: list[dict[str, Any]],
) -> None:
    """The requested activities; a rerun recognises each by brigade, kind, place and start."""
    busy = _Diary()
    for row in rows:
        city = cities[row["city"]]
        starts_at = _on_day(program, row["day"], row["start"], city.timezone)
        delegation, members = brigades[row["brigade"]]
        institution = institutions[row["institution"]]
        room = next((r for r in institution.rooms if r.code == row["room"]), None)
        exists = directory.db.scalar(
            select(Activity.id).where(
                Activity.program_id == program.id,
                Activity.delegation_id == delegation.id,
                Activity.kind == row["kind"],
                Activity.city_id == city.id,
                Activity.room_id == (room.id if room else None),
                Activity.starts_at == starts_at,
            )
        )
        if exists is not None:
            continue
        specialty = specialties.get(row["specialty"]) if row.get("specialty") else None
        ends_at = starts_at + timedelta(minutes=row["minutes"])
        leads = busy.choose(members, specialty, starts_at, ends_at, count=1 + row["day"] % 2)
        if "joined_by" in row:
            joining = directory.by_code(Person, row["joined_by"])
            leads += busy.join(joining, starts_at, ends_at)
        directory.add(
            Activity(
                program=program,
                kind=ActivityKind(row["kind"]),
                status=ActivityStatus.CONFIRMED,
                titles=row["titles"],
                specialty=specialty,
                delegation=delegation,
                city=city,
                institution=institution,
                room=room,
                starts_at=starts_at,
                ends_at=ends_at,
                trainee_capacity=row["trainee_capacity"],
                leads=leads,
            )
        )


def course(
    directory: DirectoryDemo,
    countries: dict[str, Country],
    institutions: dict[str, Institution],
    specialties: dict[str, Specialty],
    row: dict[str, Any],
) -> Program:
    """The Moscow qualification course of Tashkent-region doctors (the regional cascade)."""
    program = load_program(directory, row, countries)
    wanted = [specialties[code] for code in row["specialties"]]
    for code in row["home_institutions"]:
        trainees = directory.people(
            prefix=f"UZ-{code}",
            count=_COURSE_TRAINEES_PER_HOSPITAL,
            nation="uz",
            institution=institutions[code],
            specialties=wanted,
            languages=["uz", "ru"],
        )
        for person in trainees:
            if not _takes_part(directory, program, person):
                directory.add(
                    Participation(
                        program_id=program.id, person=person, role=ParticipationRole.TRAINEE
                    )
                )
    return program
