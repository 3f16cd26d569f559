"""Travel times: derived from distance, set by hand, kept when cities move, shown as a matrix."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.core.access import Actor, Grant, NotFound
from hamkor.core.errors import UserError
from hamkor.core.models import Role, User
from hamkor.directory import service
from hamkor.directory.models import City, Country, TravelTime
from hamkor.directory.schemas import CityCreate, CityUpdate, TravelTimeUpdate
from tests.fixtures.core import ClientFactory, UserFactory, csrf_of
from tests.fixtures.directory import SAMARKAND, TASHKENT, bearer

ADMIN = Actor(user_id=1, username="admin", grants=(Grant(Role.PLATFORM_ADMIN),))


def test_tashkent_samarkand_is_265_km_as_the_crow_flies() -> None:
    km = service.great_circle_km(41.2995, 69.2401, 39.6542, 66.9597)
    assert km == pytest.approx(265, abs=5)


def test_the_great_circle_is_symmetric_and_zero_at_home() -> None:
    assert service.great_circle_km(0, 0, 0, 0) == 0
    assert service.great_circle_km(0, 179, 0, -179) == pytest.approx(222.4, abs=0.5)
    assert service.great_circle_km(90, 0, -90, 0) == pytest.approx(20015, abs=5)


def test_300_km_of_road_take_four_and_a_half_hours() -> None:
    minutes = service.derive_minutes(300)
    assert minutes == 277  # 300 km at 70 km/h is 257 minutes, plus the 20-minute allowance
    assert 4 * 60 <= minutes <= 5 * 60


def test_the_matrix_is_symmetric_with_a_zero_diagonal(
    db: Session, tashkent: City, samarkand: City
) -> None:
    matrix = service.travel_matrix(db, [tashkent.id, samarkand.id])
    assert matrix[tashkent.id, tashkent.id] == 0
    assert matrix[tashkent.id, samarkand.id] == matrix[samarkand.id, tashkent.id]
    # No stored row (the fixture cities were loaded directly): derived from coordinates.
    road = service.great_circle_km(41.2995, 69.2401, 39.6542, 66.9597) * 1.3
    assert matrix[tashkent.id, samarkand.id] == service.derive_minutes(round(road, 1))
    assert 5 * 60 <= matrix[tashkent.id, samarkand.id] <= 6 * 60


def test_travel_minutes_of_an_unknown_city_is_not_found(db: Session, tashkent: City) -> None:
    with pytest.raises(NotFound):
        service.travel_minutes(db, tashkent.id, 999_999)


def _city(db: Session, country: Country, code: str, names: dict[str, str], lat: float) -> City:
    data = CityCreate(
        code=code, country_id=country.id, names=names, latitude=lat, longitude=67.0,
        timezone="Asia/Tashkent",
    )  # fmt: skip
    return service.create_city(db=db, actor=ADMIN, data=data)


def test_a_new_city_gets_a_stored_time_to_every_other(db: Session, uzbekistan: Country) -> None:
    first = _city(db, uzbekistan, "A1", {"en": "A"}, 40.0)
    second = _city(db, uzbekistan, "B1", {"en": "B"}, 41.0)
    third = _city(db, uzbekistan, "C1", {"en": "C"}, 42.0)
    rows = list(db.scalars(select(TravelTime).order_by(TravelTime.id)))
    assert [(r.from_city_id, r.to_city_id) for r in rows] == [
        (first.id, second.id),
        (first.id, third.id),
        (second.id, third.id),
    ]
    assert not any(r.is_manual for r in rows)
    assert service.travel_minutes(db, third.id, first.id) == rows[1].minutes


def test_a_manual_time_survives_moving_a_city(db: Session, uzbekistan: Country) -> None:
    home = _city(db, uzbekistan, "H", {"en": "Home"}, 40.0)
    near = _city(db, uzbekistan, "N", {"en": "Near"}, 40.5)
    far = _city(db, uzbekistan, "F", {"en": "Far"}, 42.0)
    service.set_travel_minutes(db=db, actor=ADMIN, a=far, b=home, data=TravelTimeUpdate(minutes=95))
    before = service.travel_minutes(db, home.id, near.id)
    moved = CityUpdate(
        code="H", country_id=uzbekistan.id, names={"en": "Home"}, latitude=38.0, longitude=67.0,
        timezone="Asia/Tashkent",
    )  # fmt: skip
    service.update_city(db=db, actor=ADMIN, city=home, data=moved)
    assert service.travel_minutes(db, home.id, far.id) == 95
    assert service.travel_minutes(db, home.id, near.id) > before


def test_a_road_distance_given_by_hand_derives_the_minutes(
    db: Session, tashkent: City, samarkand: City
) -> None:
    row = service.set_travel_minutes(
        db=db, actor=ADMIN, a=samarkand, b=tashkent, data=TravelTimeUpdate(road_km=300)
    )
    assert (row.minutes, row.road_km, row.is_manual) == (277, 300, True)
    assert (row.from_city_id, row.to_city_id) == (tashkent.id, samarkand.id)


def test_clearing_a_manual_time_derives_it_again(
    db: Session, tashkent: City, samarkand: City
) -> None:
    derived = service.travel_minutes(db, tashkent.id, samarkand.id)
    for data in (TravelTimeUpdate(minutes=240), TravelTimeUpdate()):
        row = service.set_travel_minutes(db=db, actor=ADMIN, a=tashkent, b=samarkand, data=data)
    assert (row.minutes, row.is_manual) == (derived, False)


def test_a_city_is_no_distance_from_itself(db: Session, tashkent: City) -> None:
    with pytest.raises(UserError):
        service.set_travel_minutes(
            db=db, actor=ADMIN, a=tashkent, b=tashkent, data=TravelTimeUpdate(minutes=1)
        )


def _matrix_form(client: TestClient) -> dict[str, str]:
    return {"csrf_token": csrf_of(client.get("/directory/travel-times").text)}


def test_admins_edit_the_matrix_page(
    admin_client: TestClient, db: Session, tashkent: City, samarkand: City
) -> None:
    page = admin_client.get("/directory/travel-times", headers={"accept-language": "en"})
    key = f"cells.{tashkent.id}-{samarkand.id}"
    assert f'name="{key}"' in page.text
    response = admin_client.post(
        "/directory/travel-times",
        data={**_matrix_form(admin_client), key: "290"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    row = db.scalar(select(TravelTime))
    assert row is not None
    assert (row.minutes, row.is_manual) == (290, True)
    assert (
        "by hand"
        in admin_client.get("/directory/travel-times", headers={"accept-language": "en"}).text
    )


def test_saving_the_matrix_unchanged_sets_nothing_by_hand(
    admin_client: TestClient, db: Session, tashkent: City, samarkand: City
) -> None:
    derived = service.travel_minutes(db, tashkent.id, samarkand.id)
    key = f"cells.{tashkent.id}-{samarkand.id}"
    admin_client.post(
        "/directory/travel-times", data={**_matrix_form(admin_client), key: str(derived)}
    )
    count = db.scalar(select(func.count()).select_from(TravelTime).where(TravelTime.is_manual))
    assert count == 0


def test_a_wrong_cell_is_shown_beside_it_and_nothing_is_saved(
    admin_client: TestClient, db: Session, tashkent: City, samarkand: City, almaty: City
) -> None:
    good = f"cells.{tashkent.id}-{samarkand.id}"
    bad = f"cells.{tashkent.id}-{almaty.id}"
    response = admin_client.post(
        "/directory/travel-times",
        data={**_matrix_form(admin_client), good: "200", bad: "-5"},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    assert "Must be at least 0." in response.text
    assert db.scalar(select(func.count()).select_from(TravelTime)) == 0


def test_others_read_the_matrix_but_may_not_change_it(
    client_for: ClientFactory, create_user: UserFactory, tashkent: City, samarkand: City
) -> None:
    client = client_for(create_user(Role.PROGRAM_COORDINATOR))
    page = client.get("/directory/travel-times")
    assert page.status_code == 200
    assert 'name="cells.' not in page.text
    assert client.get(f"/directory/travel-times?country={tashkent.country_id}").status_code == 200
    response = client.post(
        "/directory/travel-times",
        data={"csrf_token": csrf_of(page.text), f"cells.{tashkent.id}-{samarkand.id}": "1"},
    )
    assert response.status_code == 403


def test_the_api_reads_and_sets_a_pair(
    app_client: TestClient, db: Session, admin: User, tashkent: City, samarkand: City
) -> None:
    headers = bearer(db, admin)
    path = f"/api/v1/travel-times/{samarkand.id}/{tashkent.id}"
    derived = app_client.get(path, headers=headers).json()
    assert derived["is_manual"] is False
    assert derived["from_city_id"] == tashkent.id
    response = app_client.put(path, json={"minutes": 280, "road_km": 305}, headers=headers)
    assert response.status_code == 200
    assert response.json() == {
        "from_city_id": tashkent.id,
        "to_city_id": samarkand.id,
        "minutes": 280,
        "road_km": 305.0,
        "is_manual": True,
    }
    listed = app_client.get(f"/api/v1/travel-times?city={samarkand.id}", headers=headers).json()
    assert listed["total"] == 1
    assert listed["items"][0]["minutes"] == 280


def test_the_api_refuses_negative_minutes_and_non_admins(
    app_client: TestClient,
    db: Session,
    admin: User,
    create_user: UserFactory,
    tashkent: City,
    samarkand: City,
) -> None:
    path = f"/api/v1/travel-times/{tashkent.id}/{samarkand.id}"
    response = app_client.put(path, json={"minutes": -1}, headers=bearer(db, admin))
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "minutes", "message": "Must be at least 0."}]
    coordinator = create_user(Role.PROGRAM_COORDINATOR)
    response = app_client.put(path, json={"minutes": 100}, headers=bearer(db, coordinator))
    assert response.status_code == 403


def test_city_pages_list_their_travel_times(
    admin_client: TestClient, db: Session, uzbekistan: Country
) -> None:
    first = _city(db, uzbekistan, "TAS", TASHKENT, 41.2995)
    _city(db, uzbekistan, "SKD", SAMARKAND, 39.6542)
    db.commit()
    page = admin_client.get(f"/directory/cities/{first.id}", headers={"accept-language": "en"})
    assert "Samarkand" in page.text
    assert "derived" in page.text
