"""What planning's codes are called on pages, marked for translation (see programs.labels)."""

from __future__ import annotations

from hamkor.core.i18n import N_
from hamkor.planning.models import RunStatus

RUN_STATUS: dict[RunStatus, str] = {
    RunStatus.SOLVING: N_("Solving"),
    RunStatus.PROPOSED: N_("Proposed"),
    RunStatus.ACCEPTED: N_("Accepted"),
    RunStatus.DISCARDED: N_("Discarded"),
    RunStatus.FAILED: N_("Failed"),
}

#: The solver's reason codes for what it could not place (docs/planning.md).
REASON: dict[str, str] = {
    "no_room_of_kind": N_("No room of the activity's kind in an allowed city."),
    "room_too_small": N_("No room of the kind seats the trainees asked for."),
    "no_specialist_of_specialty": N_("Too few specialists of the specialty."),
    "named_lead_unavailable": N_("A named lead lacks the specialty or is never available."),
    "no_free_time": N_("No day, room and hour where the room and the leads are all free."),
    "no_session_of_specialty": N_("No consultation session of the patient's specialty."),
    "no_session_reachable": N_("No session in the patient's cities and days."),
    "sessions_full": N_("The sessions the patient can reach are full."),
    "no_activity_of_interest": N_("Nothing of the trainee's specialties in their city and days."),
    "seats_exhausted": N_("The activities of interest are full or at the same time."),
}
UNKNOWN_REASON = N_("Could not be placed.")

CHANGE: dict[str, str] = {
    "added": N_("Added"),
    "moved": N_("Moved"),
    "removed": N_("Removed"),
    "unchanged": N_("Unchanged"),
}

WHAT_CHANGED: dict[str, str] = {
    "day": N_("day"),
    "time": N_("time"),
    "room": N_("room"),
    "city": N_("city"),
    "leads": N_("leads"),
}

TERM: dict[str, str] = {
    "activities": N_("Activities placed"),
    "patients": N_("Patients consulted"),
    "trainees": N_("Trainee places"),
    "travel": N_("Travel (subtracted)"),
    "changes": N_("Changes to the accepted plan (subtracted)"),
    "total": N_("Total"),
}
