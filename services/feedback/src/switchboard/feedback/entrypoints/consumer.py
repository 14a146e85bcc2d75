"""Run only the background side (consumer, timers, relay), e.g. as a separate replica."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from switchboard.feedback.bootstrap import bootstrap
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.logging import configure_logging


async def run_consumers(settings: FeedbackSettings) -> None:
    runtime = bootstrap(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stopping.set)
    await runtime.start()
    try:
        await stopping.wait()
    finally:
        await runtime.stop()


def main() -> None:
    settings = FeedbackSettings.load()
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    asyncio.run(run_consumers(settings))


if __name__ == "__main__":
    main()
