"""The capability modules, wired once: their access policies, the jobs of the workers, and
what the later modules add to care's FHIR export (care cannot import them)."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from hamkor.agreements import access as agreements_access
from hamkor.agreements import due as agreements_due
from hamkor.care import access as care_access
from hamkor.care import importing as care_importing
from hamkor.care.fhir import async_import as fhir_async_import
from hamkor.care.fhir import sources as fhir_sources
from hamkor.core import files, housekeeping, import_jobs, jobs, notifications
from hamkor.core.i18n import N_
from hamkor.directory import access as directory_access
from hamkor.directory import importing as directory_importing
from hamkor.planning import access as planning_access
from hamkor.planning import service as planning_service
from hamkor.programs import access as programs_access
from hamkor.reports import access as reports_access
from hamkor.reports import report_job
from hamkor.telemedicine import abroad as telemedicine_abroad
from hamkor.telemedicine import access as telemedicine_access
from hamkor.telemedicine import deadlines as telemedicine_deadlines
from hamkor.telemedicine import fhir as telemedicine_fhir
from hamkor.telemedicine import thumbnails as telemedicine_thumbnails
from hamkor.training import access as training_access
from hamkor.training import importing as training_importing
from hamkor.training.credentials import access as credentials_access


@cache
def install() -> None:
    """Register every module's access policies and the jobs (idempotent; the app, CLI and
    tests call it)."""
    directory_access.register()
    programs_access.register()
    planning_access.register()
    training_access.register()
    credentials_access.register()
    care_access.register()
    agreements_access.register()
    telemedicine_access.register()
    telemedicine_abroad.register()
    reports_access.register()
    fhir_sources.register(telemedicine_fhir.SOURCE)
    # A solve or an import stopped half-way is failed, not run again unasked: the user who
    # started it decides (an import's kept file is then deleted). The others are idempotent
    # and run again after a crash.
    jobs.register(
        planning_service.SOLVE_JOB, planning_service.solve_job, label=N_("Planning a program")
    )
    for importing in (care_importing, directory_importing, training_importing):
        jobs.register(
            importing.IMPORT_JOB,
            import_jobs.handler(importing.run_job),
            label=N_("Import of a file"),
            forget=import_jobs.forget,
        )
    jobs.register(
        fhir_async_import.FHIR_IMPORT_JOB,
        import_jobs.handler(fhir_async_import.run),
        label=N_("Import of a FHIR Bundle"),
        forget=import_jobs.forget,
    )
    jobs.register(
        notifications.EMAIL_JOB,
        notifications.email_job,
        label=N_("Notification e-mail"),
        max_attempts=jobs.REPEATABLE,
    )
    jobs.register(
        files.COLLECT_JOB,
        files.collect_job,
        label=N_("Removal of unused stored files"),
        max_attempts=jobs.REPEATABLE,
    )
    jobs.register(
        housekeeping.PURGE_JOB,
        housekeeping.purge_job,
        label=housekeeping.PURGE_LABEL,
        max_attempts=jobs.REPEATABLE,
    )
    jobs.register(
        jobs.PROBE_JOB, jobs.probe_job, label=N_("Worker probe"), max_attempts=jobs.REPEATABLE
    )
    jobs.schedule(files.COLLECT_JOB, every=timedelta(days=1))
    jobs.register(
        agreements_due.DUE_JOB,
        agreements_due.due_job,
        label=agreements_due.DUE_LABEL,
        max_attempts=jobs.REPEATABLE,
    )
    # Reads and returns its file in the job's result: run again after a crash (issue 22).
    jobs.register(
        report_job.REPORT_JOB,
        report_job.report_job,
        label=report_job.REPORT_LABEL,
        max_attempts=jobs.REPEATABLE,
    )
    jobs.schedule(housekeeping.PURGE_JOB, every=timedelta(days=1))
    jobs.schedule(agreements_due.DUE_JOB, every=timedelta(days=1))
    jobs.register(
        telemedicine_deadlines.DEADLINE_JOB,
        telemedicine_deadlines.deadline_job,
        label=telemedicine_deadlines.DEADLINE_LABEL,
        max_attempts=jobs.REPEATABLE,
    )
    # Hourly: an urgent case has 24 hours, and its reminder comes 4 hours before the end.
    jobs.schedule(telemedicine_deadlines.DEADLINE_JOB, every=timedelta(hours=1))
    jobs.register(
        telemedicine_thumbnails.THUMBNAIL_JOB,
        telemedicine_thumbnails.thumbnail_job,
        label=telemedicine_thumbnails.THUMBNAIL_LABEL,
        max_attempts=jobs.REPEATABLE,
    )
