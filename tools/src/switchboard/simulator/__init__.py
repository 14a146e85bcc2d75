"""The demo-day simulator: a compressed working day of contacts, agents and customers,
driven through the services' public HTTP APIs and Kafka topics only."""

from switchboard.simulator.api import Urls
from switchboard.simulator.day import SimulationConfig, run_day
from switchboard.simulator.report import ContactRecord, DayReport, SurveyRecord

__all__ = ["ContactRecord", "DayReport", "SimulationConfig", "SurveyRecord", "Urls", "run_day"]
