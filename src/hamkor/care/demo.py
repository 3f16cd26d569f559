"""The care side of the demo program, at the reports' scale.

About 150 referred patients with realistic Uzbek, Karakalpak and Russian names in Latin and
Cyrillic script and valid PINFLs; the consultation day of spine and large-joint pathology in
Tashkent (more than 100 patients seen in one day, the 2019 forum's figure); paediatric oncology,
genetics, neurosurgery, obstetrics and paediatric cardiac surgery consultations; the 17
high-tech interventions of the Syzganov centre and the demonstration operations (Batpenov
centre's arthroscopy and endoprosthetics among them) with their outcomes; consents (a few
withdrawn) and follow-ups handed to local institutions (some overdue).

Everything goes through the care service, so the demo obeys every rule a registrar does. It is
loaded once: a program that already has referrals is left alone. Names and numbers are drawn
with a fixed seed, so every machine gets the same patients.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.care import booking, service
from hamkor.care.identifiers import pinfl_check_digit
from hamkor.care.models import (
    ConsentDecision,
    ConsentKind,
    ConsultationSetting,
    FollowUpKind,
    FollowUpStatus,
    Patient,
    ProcedureOutcome,
    Recommendation,
    Referral,
    ReferralStatus,
    Sex,
)
from hamkor.care.schemas import (
    BookingCreate,
    ConsentCreate,
    EncounterCreate,
    FollowUpCreate,
    PatientCreate,
    ProcedureCreate,
    ReferralCreate,
)
from hamkor.core.access import Actor, Grant
from hamkor.core.models import Role
from hamkor.directory.models import Institution
from hamkor.programs import service as programs_service
from hamkor.programs.models import Activity, ActivityKind, Program

PROGRAM = "KZ-UZ-2025"
#: The demo is loaded by the system, with every right, and no user row to name as author.
SYSTEM = Actor(user_id=0, username="system", grants=(Grant(Role.PLATFORM_ADMIN),))
#: Spine and joint consultations are short screening visits: 8 minutes, 60 in 8 hours each.
SCREENING_MINUTES = 8
SCREENING = ("spine_surgery", "traumatology_orthopaedics")
#: Where patients of each consultation session's city live and are followed up.
DISTRICTS = {"TAS": 26, "BUK": 6, "NUK": 35, "SAM": 18, "KAR": 10}
FOLLOW_UP_AT = {"TAS": "NCMC", "BUK": "BUKHARA_MMC", "NUK": "KARAKALPAK_MMC", "KAR": "CARDIO_KAR"}

# (ICD-10 code, reason in the referral letter) per specialty.
REASONS: dict[str, tuple[tuple[str, str], ...]] = {
    "spine_surgery": (
        ("M51.1", "Грыжа межпозвонкового диска поясничного отдела с радикулопатией"),
        ("M48.0", "Поясничный стеноз позвоночного канала, нейрогенная хромота"),
        ("M41.1", "Юношеский идиопатический сколиоз, прогрессирующая деформация"),
        ("M43.1", "Спондилолистез L5–S1"),
        ("M54.4", "Люмбаго с ишиасом, без эффекта от консервативного лечения"),
        ("M50.1", "Поражение межпозвонкового диска шейного отдела с радикулопатией"),
    ),
    "traumatology_orthopaedics": (
        ("M16.1", "Первичный коксартроз III степени"),
        ("M17.1", "Первичный гонартроз III степени"),
        ("M23.2", "Застарелый разрыв мениска, блокада коленного сустава"),
        ("M75.1", "Синдром вращательной манжеты плеча"),
        ("M87.0", "Асептический некроз головки бедренной кости"),
        ("Q65.0", "Врождённый вывих бедра, односторонний"),
    ),
    "paediatric_oncology": (
        ("C91.0", "Острый лимфобластный лейкоз, второе мнение по протоколу"),
        ("C64", "Нефробластома (опухоль Вильмса) после неоадъювантной химиотерапии"),
        ("C71.6", "Медуллобластома мозжечка, после операции"),
        ("C74.9", "Нейробластома надпочечника"),
        ("D18.0", "Гемангиома лица"),
    ),
    "medical_genetics": (
        ("Q90.9", "Синдром Дауна, консультирование семьи"),
        ("E84.9", "Муковисцидоз, подтверждение диагноза"),
        ("Q96.9", "Синдром Шерешевского — Тёрнера, задержка роста"),
        ("E70.0", "Фенилкетонурия, контроль диеты"),
        ("G71.0", "Мышечная дистрофия, генетическое исследование"),
        ("Q87.4", "Синдром Марфана, оценка сердечно-сосудистого риска"),
    ),
    "paediatric_cardiac_surgery": (
        ("Q21.0", "Дефект межжелудочковой перегородки"),
        ("Q21.1", "Дефект межпредсердной перегородки"),
        ("Q25.0", "Открытый артериальный проток"),
        ("Q21.3", "Тетрада Фалло"),
        ("Q22.1", "Стеноз клапана лёгочной артерии"),
    ),
    "neurosurgery": (
        ("D32.0", "Конвекситальная менингиома"),
        ("G91.9", "Гидроцефалия"),
        ("I67.1", "Неразорвавшаяся аневризма сосуда головного мозга"),
        ("C71.1", "Глиома лобной доли"),
    ),
    "obstetrics_gynaecology": (
        ("N97.9", "Бесплодие в течение пяти лет"),
        ("O24.4", "Гестационный сахарный диабет, 28 недель"),
        ("D25.9", "Лейомиома матки"),
        ("N80.0", "Аденомиоз"),
    ),
    "hepatobiliary_surgery": (
        ("K80.2", "Желчнокаменная болезнь, рецидивирующие колики"),
        ("K83.1", "Непроходимость общего желчного протока"),
        ("B67.0", "Эхинококковая киста печени"),
        ("C22.0", "Гепатоцеллюлярная карцинома, VI сегмент"),
    ),
    "endoscopic_surgery": (
        ("K22.2", "Стриктура пищевода"),
        ("D12.6", "Крупный полип толстой кишки"),
        ("K80.5", "Холедохолитиаз"),
        ("K86.2", "Псевдокиста поджелудочной железы"),
    ),
    "endovascular_surgery": (
        ("I70.2", "Атеросклероз артерий нижних конечностей, критическая ишемия"),
        ("I65.2", "Стеноз сонной артерии"),
        ("I71.4", "Аневризма брюшной аорты"),
        ("I83.9", "Варикозное расширение вен нижних конечностей"),
    ),
    "cardiac_surgery": (
        ("I25.1", "Ишемическая болезнь сердца, трёхсосудистое поражение"),
        ("I35.0", "Стеноз аортального клапана"),
        ("I05.0", "Ревматический митральный стеноз"),
    ),
}

FINDINGS = {
    Recommendation.OPERATION: "Снимки пересмотрены; показания к операции подтверждены.",
    Recommendation.CONSERVATIVE: "Показаний к операции сейчас нет; план лечения выдан.",
    Recommendation.FOLLOW_UP_HOME: "Состояние стабильное; наблюдение у местного специалиста.",
    Recommendation.TELECONSULTATION: "Ждём результаты; обсудим на телеконсультации.",
}

# Karakalpak names, for the patients of Nukus (the seed's pools are Uzbek and Kazakh).
KARAKALPAK_SURNAMES = (
    ({"kaa": "Embergenov", "ru": "Эмбергенов", "uz-Cyrl": "Эмбергенов"}, "Embergenov"),
    ({"kaa": "Seytmuratov", "ru": "Сейтмуратов", "uz-Cyrl": "Сейтмуратов"}, "Seytmuratov"),
    ({"kaa": "Allambergenov", "ru": "Алламбергенов", "uz-Cyrl": "Алламбергенов"}, "Allambergenov"),
    ({"kaa": "Utepov", "ru": "Утепов", "uz-Cyrl": "Утепов"}, "Utepov"),
)
KARAKALPAK_FIRST = {
    Sex.MALE: (("Berdaq", "Бердах"), ("Aybek", "Айбек"), ("Ajiniyaz", "Ажинияз")),
    Sex.FEMALE: (("Gulnara", "Гульнара"), ("Aysuliw", "Айсулу"), ("Gúlzada", "Гулзада")),
}
RUSSIAN = (
    ({"ru": "Ким Виктор", "uz": "Kim Viktor", "uz-Cyrl": "Ким Виктор"}, Sex.MALE),
    ({"ru": "Пак Елена", "uz": "Pak Yelena", "uz-Cyrl": "Пак Елена"}, Sex.FEMALE),
    ({"ru": "Иванова Наталья", "uz": "Ivanova Natalya", "uz-Cyrl": "Иванова Наталя"}, Sex.FEMALE),
    ({"ru": "Смирнов Андрей", "uz": "Smirnov Andrey", "uz-Cyrl": "Смирнов Андрей"}, Sex.MALE),
)


@dataclass(frozen=True)
class DemoPatient:
    """A demo patient before registration: names in several scripts, sex and birth date."""

    names: dict[str, str]
    sex: Sex
    born: date
    languages: tuple[str, ...]


class _People:
    """Draws patients from the seed's Uzbek name pools, Karakalpak and Russian names."""

    def __init__(self, rng: random.Random, pools: dict[str, Any]) -> None:
        self.rng = rng
        self.surnames = pools["uz_surnames"]
        self.first = {Sex.MALE: pools["uz_male_first"], Sex.FEMALE: pools["uz_female_first"]}
        self.serial = itertools.count(1)

    def _born(self, child: bool) -> date:
        year = self.rng.randint(2009, 2023) if child else self.rng.randint(1948, 2000)
        return date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))

    def uzbek(self, child: bool) -> DemoPatient:
        sex = self.rng.choice((Sex.MALE, Sex.FEMALE))
        surname = self.rng.choice(self.surnames)["m" if sex is Sex.MALE else "f"]
        first = self.rng.choice(self.first[sex])
        names = {lang: f"{surname[lang]} {first[lang]}" for lang in ("uz", "uz-Cyrl", "ru", "en")}
        return DemoPatient(names, sex, self._born(child), ("uz", "ru"))

    def karakalpak(self, child: bool) -> DemoPatient:
        sex = self.rng.choice((Sex.MALE, Sex.FEMALE))
        surname, latin = self.rng.choice(KARAKALPAK_SURNAMES)
        first_latin, first_cyrl = self.rng.choice(KARAKALPAK_FIRST[sex])
        ending = "a" if sex is Sex.FEMALE else ""
        names = {
            "uz": f"{latin}{ending} {first_latin}",
            "uz-Cyrl": f"{surname['uz-Cyrl']}{'а' if ending else ''} {first_cyrl}",
            "ru": f"{surname['ru']}{'а' if ending else ''} {first_cyrl}",
        }
        return DemoPatient(names, sex, self._born(child), ("kaa", "uz", "ru"))

    def russian(self) -> DemoPatient:
        names, sex = self.rng.choice(RUSSIAN)
        return DemoPatient(dict(names), sex, self._born(False), ("ru",))

    def pinfl(self, person: DemoPatient, district: int) -> str:
        century = {1900: 3, 2000: 5}[person.born.year // 100 * 100]
        head = (
            f"{century + (person.sex is Sex.FEMALE)}{person.born:%d%m}{person.born.year % 100:02d}"
            f"{district:03d}{next(self.serial):03d}"
        )
        return head + str(pinfl_check_digit(head))


class _CareDemo:
    """Registers, books, consults and operates the demo's patients through the service."""

    def __init__(
        self, db: Session, program: Program, pools: dict[str, Any], count: Callable[[str], None]
    ) -> None:
        self.db = db
        self.program = program
        self.rng = random.Random(2025)
        self.people = _People(self.rng, pools)
        self.counted = count
        self.institutions = {i.code: i for i in db.scalars(select(Institution)) if i.code in _CODES}

    def patient(
        self, person: DemoPatient, city: str, institution: Institution, *, share: bool
    ) -> int:
        patient = service.create_patient(
            db=self.db,
            actor=SYSTEM,
            data=PatientCreate(
                names=person.names,
                birth_date=person.born,
                sex=person.sex,
                identifiers=[
                    {"kind": "uz_pinfl", "value": self.people.pinfl(person, DISTRICTS[city])}
                ],
                phone=f"+99890{self.rng.randint(1_000_000, 9_999_999)}",
                languages=list(person.languages),
                home_city_id=institution.city_id,
                institution_id=institution.id,
                confirm_new=True,
            ),
        )
        kinds = [ConsentKind.TREATMENT, ConsentKind.TELEMEDICINE]
        kinds += [ConsentKind.DATA_SHARING_ABROAD] if share else []
        for kind in kinds:
            self.consent(patient.id, kind, ConsentDecision.GIVEN)
        self.counted("patients")
        return patient.id

    def consent(self, patient_id: int, kind: ConsentKind, decision: ConsentDecision) -> None:
        patient = self.db.get_one(Patient, patient_id)
        mother = self._mother(patient) if patient.birth_date.year >= 2008 else None
        service.record_consent(
            db=self.db,
            actor=SYSTEM,
            patient=patient,
            data=ConsentCreate(
                kind=kind,
                decision=decision,
                by_patient=mother is None,
                representative_name=mother,
                representative_relation="ona" if mother else None,
            ),
        )

    def _mother(self, patient: Patient) -> str:
        """Who consents for a child: the mother, written as a registrar in Uzbekistan would
        (Latin script, the surname's feminine form; the same mother for every consent)."""
        surname = patient.names["uz"].split()[0]
        mothers = self.people.first[Sex.FEMALE]
        first = mothers[patient.id % len(mothers)]["uz"]
        return f"{surname if surname.endswith('a') else surname + 'a'} {first}"

    def referral(self, patient_id: int, specialty_id: int, code: str, city_id: int) -> Referral:
        icd10, reason = self.rng.choice(REASONS[code])
        return service.create_referral(
            db=self.db,
            actor=SYSTEM,
            data=ReferralCreate(
                patient_id=patient_id,
                program_id=self.program.id,
                specialty_id=specialty_id,
                reason=reason,
                icd10=icd10,
                priority=self.rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 4, 3, 2))[0],
                referring_institution_id=self.db.get_one(Patient, patient_id).institution_id,
                city_ids=[city_id],
            ),
        )

    def person(self, city: str, child: bool) -> DemoPatient:
        if city == "NUK":
            return self.people.karakalpak(child)
        if not child and self.rng.random() < 0.06:
            return self.people.russian()
        return self.people.uzbek(child)

    def consult(
        self, session: Activity, referral: Referral, recommendation: Recommendation
    ) -> None:
        appointment = booking.book(
            db=self.db,
            actor=SYSTEM,
            data=BookingCreate(referral_id=referral.id, activity_id=session.id),
        )
        if self.rng.random() < 0.05:
            booking.mark_no_show(db=self.db, actor=SYSTEM, appointment=appointment)
            return
        booking.check_in(db=self.db, actor=SYSTEM, appointment=appointment)
        encounter = service.record_encounter(
            db=self.db,
            actor=SYSTEM,
            data=EncounterCreate(
                appointment_id=appointment.id,
                findings=FINDINGS[recommendation],
                diagnoses=[referral.icd10],
                recommendation=recommendation,
            ),
        )
        slot = service.session_slots(self.db, session)[appointment.slot]
        encounter.occurred_at = slot.starts_at
        appointment.checked_in_at = slot.starts_at - timedelta(minutes=15)
        encounter.specialist_id = session.leads[0].id if session.leads else None

    def follow_up(self, referral: Referral, city: str, due: date, done: bool) -> None:
        task = service.create_follow_up(
            db=self.db,
            actor=SYSTEM,
            data=FollowUpCreate(
                referral_id=referral.id,
                institution_id=self.institutions[FOLLOW_UP_AT.get(city, "NCMC")].id,
                kind=FollowUpKind.IN_PERSON
                if self.rng.random() < 0.7
                else FollowUpKind.TELECONSULTATION,
                due_on=due,
                notes="Check-up after the visit of the Kazakh specialists.",
            ),
        )
        if done:
            task.status = FollowUpStatus.DONE


_CODES = {*FOLLOW_UP_AT.values(), "VAKHIDOV", "TRAUMA_UZ", "PERINATAL_UZ"}


def _sessions(db: Session, program: Program, kinds: tuple[ActivityKind, ...]) -> Iterator[Activity]:
    yield from db.scalars(
        select(Activity)
        .where(Activity.program_id == program.id, Activity.kind.in_(kinds))
        .order_by(Activity.starts_at, Activity.id)
    )


def _recommendation(rng: random.Random) -> Recommendation:
    return rng.choices(
        (
            Recommendation.OPERATION,
            Recommendation.CONSERVATIVE,
            Recommendation.FOLLOW_UP_HOME,
            Recommendation.TELECONSULTATION,
        ),
        weights=(3, 4, 2, 1),
    )[0]


def _consultations(demo: _CareDemo) -> dict[str, list[Referral]]:
    """Fill the consultation sessions; the referrals recommended for operation, by specialty."""
    for_operation: dict[str, list[Referral]] = {}
    for session in _sessions(demo.db, demo.program, (ActivityKind.CONSULTATION_SESSION,)):
        specialty = session.specialty
        if specialty is None or session.institution is None:
            continue
        if specialty.code in SCREENING:
            demo.db.add(ConsultationSetting(activity_id=session.id, slot_minutes=SCREENING_MINUTES))
            demo.db.flush()
        slots = service.slot_count(demo.db, session)
        booked = (
            slots - 2 if specialty.code in SCREENING else demo.rng.randint(slots // 2, slots - 1)
        )
        child = specialty.code.startswith(("paediatric", "medical_genetics"))
        for _ in range(booked):
            person = demo.person(session.city.code, child)
            patient_id = demo.patient(
                person, session.city.code, session.institution, share=demo.rng.random() < 0.9
            )
            referral = demo.referral(patient_id, specialty.id, specialty.code, session.city_id)
            recommendation = _recommendation(demo.rng)
            demo.consult(session, referral, recommendation)
            if (
                recommendation is Recommendation.OPERATION
                and referral.status == ReferralStatus.SEEN
            ):
                for_operation.setdefault(specialty.code, []).append(referral)
    return for_operation


def _operated(demo: _CareDemo, activity: Activity, waiting: list[Referral]) -> Referral:
    """The patient of an operation: one recommended for it at a consultation, else one referred
    to it before the visit (interventions were prepared with the host centre)."""
    if waiting:
        return waiting.pop(0)
    assert activity.specialty is not None
    city = activity.city.code if activity.city.code in DISTRICTS else "TAS"
    institution = activity.institution or demo.institutions["VAKHIDOV"]
    patient_id = demo.patient(demo.person(city, False), city, institution, share=True)
    return demo.referral(
        patient_id, activity.specialty.id, activity.specialty.code, activity.city_id
    )


def _operations(demo: _CareDemo, for_operation: dict[str, list[Referral]]) -> None:
    """The interventions and demonstration operations, each performed on a referred patient."""
    kinds = (ActivityKind.HIGH_TECH_INTERVENTION, ActivityKind.DEMONSTRATION_OPERATION)
    for activity in _sessions(demo.db, demo.program, kinds):
        specialty = activity.specialty
        if specialty is None or specialty.code not in REASONS or not activity.leads:
            continue
        referral = _operated(demo, activity, for_operation.get(specialty.code, []))
        outcome = demo.rng.choices(
            (ProcedureOutcome.SUCCESSFUL, ProcedureOutcome.PARTIALLY_SUCCESSFUL), weights=(9, 1)
        )[0]
        performed = activity.starts_at.date()
        service.record_procedure(
            db=demo.db,
            actor=SYSTEM,
            data=ProcedureCreate(
                referral_id=referral.id,
                activity_id=activity.id,
                description=activity.titles.get("ru") or referral.reason,
                performed_on=performed,
                outcome=outcome,
                complications=(
                    "Транзиторная гипотензия, купирована"
                    if outcome is ProcedureOutcome.PARTIALLY_SUCCESSFUL
                    else None
                ),
                surgeon_ids=[person.id for person in activity.leads],
            ),
        )
        # The news files report these as performed: the operation took place (issue 19).
        programs_service.mark_done(db=demo.db, actor=SYSTEM, activity=activity)
        city = activity.city.code if activity.city.code in FOLLOW_UP_AT else "TAS"
        done = demo.rng.random() < 0.6
        demo.follow_up(referral, city, performed + timedelta(days=30), done=done)


def _waiting(demo: _CareDemo) -> None:
    """Referrals still on the waitlist for the planner; three patients withdrew their consent."""
    specialties = {
        s.code: s
        for s in (
            a.specialty
            for a in _sessions(demo.db, demo.program, (ActivityKind.CONSULTATION_SESSION,))
        )
        if s
    }
    vakhidov = demo.institutions["VAKHIDOV"]
    for index in range(10):
        code = ("spine_surgery", "paediatric_oncology", "medical_genetics")[index % 3]
        person = demo.person("TAS", code != "spine_surgery")
        patient_id = demo.patient(person, "TAS", vakhidov, share=index % 4 != 0)
        demo.referral(patient_id, specialties[code].id, code, vakhidov.city_id)
        if index < 3:
            demo.consent(patient_id, ConsentKind.TREATMENT, ConsentDecision.WITHDRAWN)
        elif index < 5:
            demo.consent(patient_id, ConsentKind.DATA_SHARING_ABROAD, ConsentDecision.WITHDRAWN)


def load_care_demo(
    db: Session, names: dict[str, Any], count: Callable[[str], None] = lambda _kind: None
) -> None:
    """Load the care demo into the demo program, drawing names from the seed's ``names`` pools;
    ``count`` is told of each patient added. A program with referrals already is left alone."""
    program = db.scalar(select(Program).where(Program.code == PROGRAM))
    if program is None or db.scalar(select(Referral.id).where(Referral.program_id == program.id)):
        return
    demo = _CareDemo(db, program, names, count)
    for_operation = _consultations(demo)
    _operations(demo, for_operation)
    for referrals in for_operation.values():
        for referral in referrals[: len(referrals) // 2]:
            demo.follow_up(referral, "TAS", date(2027, 1, 15), done=False)
    _waiting(demo)
    db.flush()
