from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from switchboard.servicekit.auth import BearerServiceSettings


class GreeterSettings(BearerServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_GREETER_", extra="ignore")

    service_name: str = "greeter"
    linger_seconds: float = 60.0
