"""What the enum values and steps of telemedicine are called on pages, marked for translation."""

from __future__ import annotations

from hamkor.core.i18n import N_
from hamkor.telemedicine.models import CaseRecommendation, CaseStatus, Urgency
from hamkor.telemedicine.service import Step

CASE_STATUS: dict[CaseStatus, str] = {
    CaseStatus.DRAFT: N_("Draft"),
    CaseStatus.SUBMITTED: N_("Submitted"),
    CaseStatus.ACCEPTED: N_("Accepted"),
    CaseStatus.ANSWERED: N_("Answered"),
    CaseStatus.CLOSED: N_("Closed"),
    CaseStatus.DECLINED: N_("Declined"),
}

URGENCY: dict[Urgency, str] = {
    Urgency.ROUTINE: N_("Routine"),
    Urgency.URGENT: N_("Urgent"),
}

RECOMMENDATION: dict[CaseRecommendation, str] = {
    CaseRecommendation.TREAT_LOCALLY: N_("Treat locally"),
    CaseRecommendation.SEE_AT_NEXT_VISIT: N_("See in person at the next visit"),
    CaseRecommendation.REFER_ABROAD: N_("Refer for treatment abroad"),
}

#: The button of each step on a case's page.
STEP: dict[Step, str] = {
    Step.SUBMIT: N_("Submit to the centre"),
    Step.ACCEPT: N_("Accept and assign"),
    Step.DECLINE: N_("Decline"),
    Step.ANSWER: N_("Send the answer"),
    Step.CLOSE: N_("Close the case"),
    Step.REOPEN: N_("Reopen"),
}
