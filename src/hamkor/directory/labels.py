"""What the enum values of the directory are called on pages, marked for translation.

One dict per enum, as in every module's ``labels.py``: pages translate a value's label with
``_()`` when they show it, so the stored values stay stable while the words follow the reader.
"""

from __future__ import annotations

from hamkor.core.i18n import N_
from hamkor.directory.models import InstitutionKind, RoomKind

INSTITUTION_KIND: dict[InstitutionKind, str] = {
    InstitutionKind.MINISTRY: N_("Ministry"),
    InstitutionKind.RESEARCH_CENTRE: N_("Research centre"),
    InstitutionKind.HOSPITAL: N_("Hospital"),
    InstitutionKind.CLINIC: N_("Clinic"),
    InstitutionKind.UNIVERSITY: N_("University"),
    InstitutionKind.PHARMA: N_("Pharmaceutical company"),
    InstitutionKind.IT_COMPANY: N_("Health IT company"),
    InstitutionKind.COMPANY: N_("Company"),
    InstitutionKind.GOVERNMENT_AGENCY: N_("Government agency"),
    InstitutionKind.OTHER: N_("Other"),
}

ROOM_KIND: dict[RoomKind, str] = {
    RoomKind.OPERATING_ROOM: N_("Operating room"),
    RoomKind.CATH_LAB: N_("Cath lab"),
    RoomKind.ENDOSCOPY_ROOM: N_("Endoscopy room"),
    RoomKind.CONSULTATION_ROOM: N_("Consultation room"),
    RoomKind.LECTURE_HALL: N_("Lecture hall"),
    RoomKind.TRAINING_ROOM: N_("Training room"),
    RoomKind.EXHIBITION_SPACE: N_("Exhibition space"),
}
