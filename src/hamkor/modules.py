"""The capability modules, wired once: access policies, jobs, the providers planning asks."""

from __future__ import annotations

from functools import cache

from hamkor.care import access as care_access
from hamkor.care import booking as care_booking
from hamkor.care import service as care_service
from hamkor.core import jobs
from hamkor.directory import access as directory_access
from hamkor.planning import access as planning_access
from hamkor.planning import hooks as planning_hooks
from hamkor.planning import service as planning_service
from hamkor.programs import access as programs_access
from hamkor.training import access as training_access
from hamkor.training import service as training_service
from hamkor.training.credentials import access as credentials_access


@cache
def install() -> None:
    """Register every module's access policies, the jobs and the providers planning asks for
    (idempotent; the app, CLI and tests call it)."""
    directory_access.register()
    programs_access.register()
    planning_access.register()
    training_access.register()
    credentials_access.register()
    care_access.register()
    jobs.register(planning_service.SOLVE_JOB, planning_service.solve_job)
    planning_hooks.register_patients(
        waiting_for_program=care_service.waiting_for_program,
        book_planned=care_booking.book_planned,
    )
    planning_hooks.register_trainees(place_planned=training_service.place_planned)
