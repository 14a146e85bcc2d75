"""Bearer JWTs for every service: agents, coordinators and admins, with role and regions."""

from switchboard.servicekit.auth.dependencies import bearer_principal
from switchboard.servicekit.auth.principals import Principal, Role
from switchboard.servicekit.auth.settings import DEV_JWT_SECRET, BearerServiceSettings
from switchboard.servicekit.auth.tokens import TokenVerifier

__all__ = [
    "DEV_JWT_SECRET",
    "BearerServiceSettings",
    "Principal",
    "Role",
    "TokenVerifier",
    "bearer_principal",
]
