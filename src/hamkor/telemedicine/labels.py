"""What the enum values and steps of telemedicine are called on pages, marked for translation."""

from __future__ import annotations

from hamkor.core.i18n import N_
from hamkor.telemedicine.abroad import AbroadAction
from hamkor.telemedicine.models import AbroadStatus, CaseRecommendation, CaseStatus, Urgency
from hamkor.telemedicine.papers import LETTER, SUMMARY
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

ABROAD_STATUS: dict[AbroadStatus, str] = {
    AbroadStatus.RECOMMENDED: N_("Recommended"),
    AbroadStatus.ACCEPTED: N_("Accepted by the centre"),
    AbroadStatus.INVITED: N_("Invitation issued"),
    AbroadStatus.ESTIMATED: N_("Cost estimated"),
    AbroadStatus.CONSENTED: N_("Patient consented"),
    AbroadStatus.TRAVELLING: N_("Travelling"),
    AbroadStatus.ADMITTED: N_("Admitted"),
    AbroadStatus.TREATED: N_("Treated"),
    AbroadStatus.RETURNED: N_("Returned home"),
    AbroadStatus.FOLLOWED_UP: N_("Followed up at home"),
    AbroadStatus.DECLINED: N_("Declined"),
    AbroadStatus.CANCELLED: N_("Cancelled"),
}

ABROAD_ACTION: dict[AbroadAction, str] = {
    AbroadAction.ACCEPT: N_("Accept the patient"),
    AbroadAction.INVITE: N_("Issue the invitation"),
    AbroadAction.ESTIMATE: N_("Send the cost estimate"),
    AbroadAction.CONSENT: N_("Record the patient's consent"),
    AbroadAction.PLAN_TRAVEL: N_("Plan the journey"),
    AbroadAction.ADMIT: N_("Admit"),
    AbroadAction.TREAT: N_("Mark as treated"),
    AbroadAction.DISCHARGE: N_("Discharge home"),
    AbroadAction.FOLLOW_UP: N_("Mark as followed up"),
    AbroadAction.DECLINE: N_("Decline"),
    AbroadAction.CANCEL: N_("Cancel the referral"),
}

#: The papers of a referral abroad, as their links say.
PAPER: dict[str, str] = {
    LETTER: N_("Invitation letter (PDF)"),
    SUMMARY: N_("Discharge summary (file)"),
}
