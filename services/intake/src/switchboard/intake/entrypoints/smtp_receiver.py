"""Intake's own mail receiver: a mail server hands mail over SMTP or LMTP (aiosmtpd) straight
to intake, no adapter in between. A worker of the runtime, when ``smtp_enabled``; the
service is not ready until it listens. Several processes share the port (SO_REUSEPORT)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from dataclasses import replace

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

from switchboard.intake.entrypoints.smtp_answers import SmtpAnswers
from switchboard.intake.service_layer.unit_of_work import IntakeDeps
from switchboard.intake.settings import IntakeSettings, SmtpListener
from switchboard.servicekit.runtime import Worker
from switchboard.servicekit.service import ServiceDefinition

IDENT = "Switchboard intake"


class SmtpReceiver:
    name = "smtp receiver"

    def __init__(self, deps: IntakeDeps, listener: SmtpListener) -> None:
        self._deps = deps
        self._listener = listener
        self._stopping = asyncio.Event()
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()
        self.address: tuple[str, int] | None = None
        """Where it listens (the port chosen when configured as 0), once it does."""

    def not_ready_because(self) -> str | None:
        if self.address is not None:
            return None
        return f"not listening on {self._listener.host}:{self._listener.port} yet"

    async def run(self) -> None:
        answers = SmtpAnswers(self._deps, self._listener)
        server = await asyncio.get_running_loop().create_server(
            lambda: self._session(answers),
            self._listener.host,
            self._listener.port,
            reuse_port=True,
        )
        try:
            self.address = server.sockets[0].getsockname()[:2]
            await self._stopping.wait()
        finally:
            self.address = None
            server.close()
            # A message cut off here gets no answer, so its sender tries again later.
            for session in list(self._sessions):
                if session.transport is not None:
                    session.transport.close()
            await server.wait_closed()

    def stop(self) -> None:
        self._stopping.set()

    def _session(self, answers: SmtpAnswers) -> SMTP:
        protocol = LMTP if self._listener.protocol == "lmtp" else SMTP
        session = protocol(
            answers,
            data_size_limit=self._listener.max_message_bytes,
            enable_SMTPUTF8=True,
            hostname=self._deps.mail_domain,
            ident=IDENT,
        )
        self._sessions.add(session)
        return session


def with_smtp_receiver(
    definition: ServiceDefinition[IntakeSettings, IntakeDeps],
) -> ServiceDefinition[IntakeSettings, IntakeDeps]:
    """Intake's definition whose workers include the mail receiver when it is enabled."""

    def workers(deps: IntakeDeps) -> Sequence[Worker]:
        receiver = [SmtpReceiver(deps, deps.smtp_listener)] if deps.smtp_listener else []
        return [*definition.workers(deps), *receiver]

    return replace(definition, workers=workers)
