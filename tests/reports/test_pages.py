"""The dashboards, the targets form and the public page, read through the app."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.agreements.models import IndicatorLink
from hamkor.core.models import Role, User
from hamkor.reports.models import Target
from tests.fixtures.core import ClientFactory, UserFactory
from tests.fixtures.programs import submit
from tests.fixtures.reports import ReportWorld


def test_the_program_overview_is_its_dashboard(
    client_for: ClientFactory, report_world: ReportWorld, admin: User
) -> None:
    program = report_world.care.days.program
    page = client_for(admin).get(f"/programs/{program.id}", headers={"accept-language": "en"})
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") >= 4  # the charts, drawn on the server
    assert f'href="/programs/{program.id}/participants"' in html
    assert re.search(r'id="figure-interventions_performed".*?<strong class="figure">2<', html, re.S)
    card = r'id="figure-teleconsultations">\s*<a class="figure-link" href="/telemedicine">'
    assert re.search(card + r'<strong class="figure">4<', html)
    assert "Teleconsultations asked: Institution" in html  # its chart, by the centre asked
    assert 'name="indicator_key"' in html  # the coordinator's targets form
    assert "DejaVu Sans" in html


def test_the_dashboard_keeps_its_filters_in_the_lists_it_links(
    client_for: ClientFactory, report_world: ReportWorld, admin: User
) -> None:
    program = report_world.care.days.program
    page = client_for(admin).get(f"/programs/{program.id}?from=2025-10-14&city=")
    assert f"/programs/{program.id}/calendar?by=city&amp;from=2025-10-14" in page.text
    refused = client_for(admin).get(f"/programs/{program.id}?from=2025-10-14&to=2025-10-13")
    assert refused.status_code == 422


def test_a_target_set_on_the_page_shows_beside_its_figure(
    client_for: ClientFactory, db: Session, report_world: ReportWorld
) -> None:
    program = report_world.care.days.program
    client = client_for(report_world.care.days.coordinator)
    page = f"/programs/{program.id}"
    saved = submit(
        client, page, f"{page}/targets", {"indicator_key": "interventions_performed", "value": "17"}
    )
    assert saved.status_code == 303
    shown = client.get(page, headers={"accept-language": "en"}).text
    assert re.search(r'id="figure-interventions_performed".*?Target: 17', shown, re.S)
    refused = submit(client, page, f"{page}/targets", {"indicator_key": "delegates", "value": "-3"})
    assert refused.status_code == 422
    assert 'id="value-error"' in refused.text
    assert db.scalar(select(func.count()).select_from(Target)) == 1


def test_the_cross_program_dashboard_of_a_registrar_counts_their_institution(
    client_for: ClientFactory, report_world: ReportWorld, create_user: UserFactory
) -> None:
    days = report_world.care.days
    registrar = create_user(Role.REGISTRAR, institution_id=days.samarkand_hospital.id)
    page = client_for(registrar).get("/dashboard", headers={"accept-language": "en"})
    assert page.status_code == 200
    # The Samarkand demonstration is their institution's only intervention.
    assert re.search(
        r'id="figure-interventions_performed".*?<strong class="figure">1<', page.text, re.S
    )


def test_a_published_page_shows_suppressed_figures_until_unpublished(
    client_for: ClientFactory, app_client: TestClient, report_world: ReportWorld
) -> None:
    program = report_world.care.days.program
    client = client_for(report_world.care.days.coordinator)
    page = f"/programs/{program.id}"
    assert submit(client, page, f"{page}/publication", {}).status_code == 303
    address = re.search(r'href="(/public/programs/[^"]+)"', client.get(page).text)
    assert address is not None
    public = app_client.get(address.group(1), headers={"accept-language": "en"})
    assert public.status_code == 200
    row = re.search(r'id="row-patients_consulted".*?</tr>', public.text, re.S)
    assert row is not None
    assert "&lt;5" in row.group(0)
    assert "Aliyev" not in public.text
    assert submit(client, page, f"{page}/publication/delete", {}).status_code == 303
    assert app_client.get(address.group(1)).status_code == 404


def test_the_indicators_the_roadmap_moves_show_beside_the_programs_figures(
    client_for: ClientFactory, db: Session, report_world: ReportWorld, admin: User
) -> None:
    item = report_world.memorandum.items[0]
    db.add_all(
        [
            IndicatorLink(
                item_id=item.id,
                indicator_key="interventions_performed",
                period="2025",
                target=20,
                actual=15,
            ),
            IndicatorLink(item_id=item.id, indicator_key="joint_research", period="2026", target=3),
        ]
    )
    db.commit()
    program = report_world.care.days.program
    html = client_for(admin).get(f"/programs/{program.id}", headers={"accept-language": "en"}).text
    table = re.search(r'id="roadmap-indicators".*?</table>', html, re.S)
    assert table is not None
    rows = re.findall(r"<tr><td>.*?</tr>", table.group(0), re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    assert [c[1:] for c in cells] == [
        ["High-tech interventions performed", "2025", "20", "15", "2"],
        ["joint_research", "2026", "3", "", ""],
    ]
