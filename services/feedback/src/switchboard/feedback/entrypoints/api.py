"""HTTP API: the public survey link (no login) and KPI reads (bearer JWT)."""

from switchboard.feedback.entrypoints.kpi_routes import kpis
from switchboard.feedback.entrypoints.survey_routes import surveys

ROUTERS = (surveys, kpis)
