"""Run only the background side (consumer, timers, relay), e.g. as a separate replica."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from switchboard.feedback.bootstrap import bootstrap
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.process import prepare_process


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
    prepare_process(settings)
    asyncio.run(run_consumers(settings))


if __name__ == "__main__":
    main()
