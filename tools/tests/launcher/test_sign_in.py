from pathlib import Path

from switchboard.launcher.escalation_config import coordinators_in, region_time_zones
from switchboard.launcher.sign_in import console_links
from switchboard.servicekit.auth import DEV_JWT_SECRET, Role, TokenVerifier

CONFIG = """
coordinators:
  - {id: greta, name: Greta Vogel, regions: [dach], roles: [coordinator]}
  - {id: nils, regions: [nordics, dach]}
"""


def test_every_coordinator_gets_a_link_whose_token_the_services_accept(tmp_path: Path) -> None:
    config = tmp_path / "escalation.yaml"
    config.write_text(CONFIG)
    links = console_links("http://127.0.0.1:8003/console", coordinators_in(config), None)
    assert [who for who, _ in links] == [
        "Greta Vogel (dach)",
        "nils (nordics, dach)",
        "admin (all regions)",
    ]
    verifier = TokenVerifier(DEV_JWT_SECRET, "switchboard")
    principals = [verifier.principal(link.split("#token=", 1)[1]) for _, link in links]
    assert principals[0].subject == "greta"
    assert principals[0].role is Role.COORDINATOR
    assert set(principals[1].regions) == {"nordics", "dach"}
    assert principals[2].role is Role.ADMIN


def test_links_are_signed_with_the_configured_secret(tmp_path: Path) -> None:
    secret = "a-real-secret-of-at-least-thirty-two-bytes!"
    (_, link), *_ = console_links("http://127.0.0.1:8003/console", [], secret)
    assert TokenVerifier(secret, "switchboard").principal(link.split("#token=")[1])


def test_no_config_means_only_the_admin_link(tmp_path: Path) -> None:
    assert coordinators_in(tmp_path / "missing.yaml") == []
    assert coordinators_in(None) == []


def test_feedback_gets_each_calendars_time_zone(tmp_path: Path) -> None:
    config = tmp_path / "escalation.yaml"
    config.write_text(
        "calendars:\n"
        "  default: {timezone: UTC}\n"
        "  dach: {timezone: Europe/Berlin}\n"
        "  nordics: {timezone: Europe/Stockholm, hours: {mon: ['08:00-16:00']}}\n"
        "  nowhere: {hours: {}}\n"
    )
    assert region_time_zones(config) == {"dach": "Europe/Berlin", "nordics": "Europe/Stockholm"}
    assert region_time_zones(tmp_path / "missing.yaml") == {}
