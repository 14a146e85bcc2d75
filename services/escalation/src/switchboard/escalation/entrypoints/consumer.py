"""Running the background side alone (consumer, timers, webhooks, relay) without HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from switchboard.escalation.bootstrap import EscalationService


async def run_background(service: EscalationService) -> None:
    """Start the runtime and keep it running until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await service.runtime.start()
    try:
        await stop.wait()
    finally:
        await service.runtime.stop()
