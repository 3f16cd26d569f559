"""The demo's teleconsultations: the follow-ups of the Days of Kazakh Medicine asked at a
distance, October–November 2025.

After the visit (13–17 October 2025) the home institutions of the patients who need follow-up
ask the visiting centres: the National Children's Medical Center asks the Scientific Center of
Pediatrics and Pediatric Surgery (Almaty) about its paediatric oncology patients, the Karshi
branch of the cardiology centre asks the Syzganov centre about its cardiac surgery patients.
Most are answered within their deadline; one, asked on 31 October, is answered late, after the
visit of 4 November that it was to prepare. One is anonymous; one is still waiting. One patient,
whose answer recommends treatment in Almaty, goes there and back in November (treatment
abroad, through to the follow-up at home): the centre's invitation letter is dated 13 November,
and the discharge summary comes home on 28 November as a scan besides its text.

Everything is written through the service, with the dates of the story (``now`` of each step),
by the demo's own users (the centres' coordinators and specialists, the asking doctors), so the
pages, the notifications and the answer times read as they would have. Loaded once: a database
with cases already is left alone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.care.demo import SYSTEM
from hamkor.care.models import FollowUpKind, FollowUpTask, Referral
from hamkor.core.access import Actor
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.core.models import Membership, Role, User
from hamkor.core.pdf import FONT_DIR
from hamkor.core.storage import storage_for
from hamkor.core.users import create_user
from hamkor.directory.models import Institution, Person, Specialty
from hamkor.programs.models import Program
from hamkor.settings import get_settings
from hamkor.telemedicine import abroad, service
from hamkor.telemedicine.abroad import STEPS, AbroadAction, Side, StepData
from hamkor.telemedicine.attachments import Upload
from hamkor.telemedicine.models import CaseRecommendation, TeleCase, Urgency
from hamkor.telemedicine.schemas import (
    Answer,
    Assignment,
    CaseCreate,
    Closing,
    MessageCreate,
)

PROGRAM = "KZ-UZ-2025"


@dataclass(frozen=True)
class Route:
    """Who asks whom about the follow-ups of one specialty."""

    specialties: tuple[str, ...]
    asking: str
    centre: str
    asker: tuple[str, str]
    coordinator: tuple[str, str]


ROUTES = (
    Route(
        ("paediatric_oncology",),
        "NCMC",
        "SCPPS",
        ("ncmc", "Malika Yusupova"),
        ("scpps", "Aigul Nurmagambetova"),
    ),
    Route(
        ("cardiac_surgery", "paediatric_cardiac_surgery"),
        "CARDIO_KAR",
        "SYZGANOV",
        ("karshi", "Otabek Rahimov"),
        ("syzganov", "Bolat Dzhaksybekov"),
    ),
)


@dataclass(frozen=True)
class Story:
    """One case of the demo: when it was asked, how urgent, and how it went."""

    asked: datetime
    urgency: Urgency
    question: str
    summary: str
    icd10: tuple[str, ...]
    answer_after: timedelta | None
    recommendation: CaseRecommendation = CaseRecommendation.TREAT_LOCALLY
    answer: str = ""
    visit_avoided: bool | None = None
    anonymous: bool = False


def _at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


STORIES = {
    "SCPPS": (
        Story(
            _at("2025-10-24", 5),
            Urgency.ROUTINE,
            "Продолжать ли поддерживающую терапию по прежней схеме после контрольной миелограммы?",
            "Ребёнок, 7 лет. ОЛЛ, ремиссия после индукции; осмотрен бригадой 15 октября. "
            "Миелограмма 22.10: бласты 2 %. Переносимость удовлетворительная.",
            ("C91.0",),
            timedelta(hours=20),
            CaseRecommendation.TREAT_LOCALLY,
            "Продолжить поддерживающую терапию по протоколу; контроль ОАК еженедельно, "
            "миелограмма через 3 месяца. Очный осмотр не требуется.",
            True,
        ),
        Story(
            _at("2025-10-31", 6),
            Urgency.URGENT,
            "Нужна ли срочная госпитализация в Алматы или можно дождаться визита 4 ноября?",
            "Ребёнок, 5 лет. Нейробластома, после 4 курсов химиотерапии; нарастающая "
            "анемия и лихорадка 38,5 °C в течение двух суток.",
            ("C74.9",),
            timedelta(hours=75),
            CaseRecommendation.SEE_AT_NEXT_VISIT,
            "Антибактериальная терапия по месту; осмотр при визите 4 ноября. "
            "Ответ задержан: специалист был в операционной.",
            False,
        ),
        Story(
            _at("2025-11-18", 4),
            Urgency.ROUTINE,
            "Как интерпретировать МРТ после окончания лечения: остаточная ткань или рецидив?",
            "Подросток, 14 лет. Лимфома Ходжкина, окончание лечения в сентябре. "
            "МРТ средостения 17.11: образование 12 мм.",
            ("C81.9",),
            None,
            anonymous=True,
        ),
    ),
    "SYZGANOV": (
        Story(
            _at("2025-10-27", 7),
            Urgency.ROUTINE,
            "Допустима ли физическая нагрузка через 6 недель после протезирования клапана?",
            "Пациент, 52 года. Протезирование митрального клапана 14 октября (мастер-класс "
            "в Карши). МНО 2,6; ФВ 55 %; жалоб нет.",
            ("Z95.2",),
            timedelta(hours=30),
            CaseRecommendation.TREAT_LOCALLY,
            "Дозированная ходьба, без подъёма тяжестей до 3 месяцев; МНО 2,5–3,5.",
            True,
        ),
        Story(
            _at("2025-11-10", 8),
            Urgency.URGENT,
            "Показана ли повторная операция за рубежом при нарастающей регургитации?",
            "Пациент, 38 лет. Пластика трикуспидального клапана в октябре; регургитация "
            "нарастает до III степени, одышка при нагрузке.",
            ("I07.1",),
            timedelta(hours=16),
            CaseRecommendation.REFER_ABROAD,
            "Показана повторная операция; рекомендуем госпитализацию в наш центр в декабре.",
            False,
        ),
    ),
}


def _user(db: Session, username: str, display: str, role: Role, institution: int) -> User:
    """A demo user holding ``role`` in the institution (a registrar too for an asking doctor,
    who keeps their patients' records)."""
    found = db.scalar(select(User).where(User.username == username))
    if found is not None:
        return found
    user = create_user(db, username=username, password=DEMO_PASSWORD, display_name=display)
    db.add(Membership(user=user, role=role, institution_id=institution))
    if role == Role.SPECIALIST:
        db.add(Membership(user=user, role=Role.REGISTRAR, institution_id=institution))
    db.flush()
    return user


def _specialist(db: Session, centre: Institution) -> User:
    """The centre's first specialist of the directory, with a user to answer with (the demo's
    ``specialist`` for the Syzganov centre, whose brigade lead it is)."""
    person = db.scalar(
        select(Person).where(Person.institution_id == centre.id).order_by(Person.id).limit(1)
    )
    if person is not None and person.user_id is not None:
        linked = db.get(User, person.user_id)
        if linked is not None:
            return linked
    name = (person.names.get("en") or next(iter(person.names.values()))) if person else "Doctor"
    user = _user(db, f"{centre.code.lower()}-specialist", name, Role.SPECIALIST, centre.id)
    if person is not None:
        person.user_id = user.id
    return user


def _follow_up_patients(db: Session, program: Program, codes: tuple[str, ...]) -> list[int]:
    """Patients with a follow-up of the specialties, teleconsultations first, who consented
    to a teleconsultation abroad."""
    rows = db.execute(
        select(Referral.patient_id, FollowUpTask.kind)
        .join(FollowUpTask, FollowUpTask.referral_id == Referral.id)
        .join(Specialty, Specialty.id == Referral.specialty_id)
        .where(Referral.program_id == program.id, Specialty.code.in_(codes))
        .order_by(FollowUpTask.kind != FollowUpKind.TELECONSULTATION, FollowUpTask.id)
    )
    found = list(dict.fromkeys(patient_id for patient_id, _kind in rows))
    return [p for p in found if not service.missing_consents(db, p)]


def _tell(
    db: Session,
    case: TeleCase,
    story: Story,
    people: dict[str, Actor],
    deadlines: service.Deadlines,
) -> None:
    """The steps of one story, each at its time."""
    asked = story.asked
    service.submit(db=db, actor=people["asker"], case=case, now=asked, deadlines=deadlines)
    assignee = people["specialist"]
    service.accept(
        db=db,
        actor=people["coordinator"],
        case=case,
        data=Assignment(assignee_id=assignee.user_id),
        now=asked + timedelta(hours=2),
    )
    service.post_message(
        db=db,
        actor=assignee,
        case=case,
        data=MessageCreate(body="Пришлите, пожалуйста, результаты последних анализов."),
        now=asked + timedelta(hours=3),
    )
    service.post_message(
        db=db,
        actor=people["asker"],
        case=case,
        data=MessageCreate(body="Анализы сегодняшнего утра: Hb 98 г/л, лейкоциты 3,1×10⁹/л."),
        now=asked + timedelta(hours=4),
    )
    if story.answer_after is None:
        return
    answered = asked + story.answer_after
    service.answer(
        db=db,
        actor=assignee,
        case=case,
        data=Answer(answer=story.answer, recommendation=story.recommendation),
        now=answered,
    )
    if story.visit_avoided is not None:
        service.close(
            db=db,
            actor=people["asker"],
            case=case,
            data=Closing(visit_avoided=story.visit_avoided),
            now=answered + timedelta(days=1),
        )


#: The journey of the patient the Syzganov centre recommended treating there, November 2025.
JOURNEY = (
    (AbroadAction.ACCEPT, "2025-11-12"),
    (AbroadAction.INVITE, "2025-11-13"),
    (AbroadAction.ESTIMATE, "2025-11-14"),
    (AbroadAction.CONSENT, "2025-11-15"),
    (AbroadAction.PLAN_TRAVEL, "2025-11-17"),
    (AbroadAction.ADMIT, "2025-11-18"),
    (AbroadAction.TREAT, "2025-11-20"),
    (AbroadAction.DISCHARGE, "2025-11-28"),
    (AbroadAction.FOLLOW_UP, "2025-11-30"),
)
JOURNEY_DATA = StepData(
    cost_estimate="9 800 000 KZT",
    travel_from=_at("2025-11-17", 4),
    travel_until=_at("2025-11-28", 12),
    note="Репротезирование трикуспидального клапана 20.11.2025; выписка на 8-е сутки, "
    "варфарин под контролем МНО.",
)


def _discharge_scan() -> Upload:
    """The discharge summary as the centre scanned it: a page of its text, as a PNG."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (620, 320), 255)
    draw = ImageDraw.Draw(page)
    title = ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), 22)
    text = ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), 16)
    draw.text((30, 30), "Выписной эпикриз", font=title, fill=0)
    lines = ["Репротезирование трикуспидального клапана", "20.11.2025.", "Выписка 28.11.2025,"]
    lines += ["варфарин под контролем МНО (цель 2,5–3,5)."]
    for number, line in enumerate(lines):
        draw.text((30, 90 + 32 * number), line, font=text, fill=0)
    scan = io.BytesIO()
    page.save(scan, format="PNG")
    scan.seek(0)
    return Upload("vypiska.png", scan)


def _journey(db: Session, case: TeleCase, people: dict[str, Actor]) -> None:
    """The patient referred abroad from the case, followed there and back, with the centre's
    invitation letter and the discharge summary's scan."""
    referral = abroad.recommend(db=db, actor=people["asker"], case=case, now=_at("2025-11-11", 10))
    settings = get_settings()
    for action, day in JOURNEY:
        side = STEPS[action].side
        actor = people["asker"] if side == Side.HOME else people["coordinator"]
        abroad.take(
            db=db, actor=actor, referral=referral, action=action, data=JOURNEY_DATA,
            now=_at(day, 9), store=storage_for(settings), max_bytes=settings.file_max_bytes,
            summary=_discharge_scan() if action == AbroadAction.DISCHARGE else None,
        )  # fmt: skip


def load_telemedicine_demo(db: Session) -> int:
    """The demo's cases (none when there are cases already); how many were added."""
    program = db.scalar(select(Program).where(Program.code == PROGRAM))
    if program is None or db.scalar(select(TeleCase.id).limit(1)) is not None:
        return 0
    added = 0
    deadlines = service.Deadlines.of(get_settings())
    for route in ROUTES:
        asking = db.scalars(select(Institution).where(Institution.code == route.asking)).one()
        centre = db.scalars(select(Institution).where(Institution.code == route.centre)).one()
        specialty = db.scalars(
            select(Specialty).where(Specialty.code == route.specialties[0])
        ).one()
        people = {
            "asker": Actor.of(_user(db, *route.asker, Role.SPECIALIST, asking.id)),
            "coordinator": Actor.of(
                _user(db, *route.coordinator, Role.INSTITUTION_COORDINATOR, centre.id)
            ),
            "specialist": Actor.of(_specialist(db, centre)),
        }
        patients = _follow_up_patients(db, program, route.specialties)
        for story in STORIES[route.centre]:
            patient_id = None if story.anonymous or not patients else patients.pop(0)
            # Written as the system: the patients were registered by the centres that hosted
            # their consultations, where the asking doctor keeps no record of their own.
            case = service.create_case(
                db=db,
                actor=SYSTEM,
                data=CaseCreate(
                    program_id=program.id,
                    asking_institution_id=asking.id,
                    centre_id=centre.id,
                    specialty_id=specialty.id,
                    urgency=story.urgency,
                    question=story.question,
                    clinical_summary=story.summary,
                    icd10=list(story.icd10),
                    patient_id=patient_id,
                ),
                now=story.asked - timedelta(minutes=30),
            )
            case.asked_by_id = people["asker"].user_id
            _tell(db, case, story, people, deadlines)
            if case.recommendation == CaseRecommendation.REFER_ABROAD and patient_id:
                _journey(db, case, people)
            added += 1
    db.flush()
    return added
