"""``switchboard-feedback``: migrate, then serve the API with the background runners."""

from __future__ import annotations

import asyncio

import uvicorn

from switchboard.feedback.bootstrap import bootstrap, build_app, run_migrations
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.process import prepare_process


async def serve(settings: FeedbackSettings) -> None:
    await run_migrations(settings)
    app = build_app(settings, runtime=bootstrap(settings, migrate_first=False))
    config = uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False
    )
    await uvicorn.Server(config).serve()


def main() -> None:
    settings = FeedbackSettings.load()
    prepare_process(settings)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
