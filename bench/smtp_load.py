"""Mail for the SMTP benchmark: 20 KB multipart messages from distinct senders, and the
client processes that hand them to an SMTP server as a mail server would (aiosmtplib, one
connection per sender slot kept open, MAIL/RCPT/DATA per message), closed loop.

Like ``load``, every message is built before the clock runs and the clients are separate
processes that start together; times are wall-clock (``time.time()``), comparable with Kafka
record timestamps.

Shared by the benchmarks (each runs as a script, so this directory is on ``sys.path``).
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import queue
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

PARAGRAPHS = [
    "Hej, jeg har stadig ikke modtaget min pakke, og ingen svarer på mine mails. "
    "Ordren blev betalt for tre uger siden, og sporingen har stået stille siden da.",
    "Bonjour, ma commande n'est toujours pas arrivée et personne ne me répond. "
    "Le suivi indique qu'elle est bloquée au centre de tri depuis dix jours.",
    "Dzień dobry, moja paczka nadal nie dotarła i nikt nie odpowiada na maile. "
    "Zamówienie zostało opłacone trzy tygodnie temu i śledzenie stoi w miejscu.",
    "Hei, tilaukseni ei ole vieläkään saapunut ja haluaisin tietää missä se on. "
    "Seuranta ei ole päivittynyt kahteen viikkoon, enkä saa vastausta.",
]
TARGET_BYTES = 20 * 1024
TEMPLATE_DATE = format_datetime(datetime(2026, 1, 1, tzinfo=UTC))


def multipart_message(index: int, *, sender: str, recipient: str) -> bytes:
    """A multipart/mixed message of about 20 KB: multipart/alternative (text and HTML of the
    same letter) and a small PDF attachment, as a mail client sends it."""
    message_id = make_msgid(domain=sender.rsplit("@", 1)[1])
    return (
        _template(index % len(PARAGRAPHS), recipient)
        .replace(b"__SENDER__", sender.encode())
        .replace(b"__INDEX__", str(index).encode())
        .replace(TEMPLATE_DATE.encode(), format_datetime(datetime.now(UTC)).encode())
        .replace(b"__MESSAGE_ID__", message_id.encode())
    )


@functools.cache
def _template(paragraph: int, recipient: str) -> bytes:
    """The message with its sender, number, date and id to fill in (building each message
    with ``email`` would cost the load generator more than the server spends on it)."""
    text = PARAGRAPHS[paragraph]
    attachment = b"%PDF-1.4\n" + b"0123456789abcdef" * 64
    message = EmailMessage()
    message["From"] = "Kunde __INDEX__ <__SENDER__>"
    message["To"] = recipient
    message["Subject"] = "Ordre __INDEX__: pakken er ikke kommet"
    message["Date"] = TEMPLATE_DATE
    message["Message-ID"] = "__MESSAGE_ID__"
    repeats = 1
    while True:
        message.set_content("\n\n".join([text] * repeats))
        html = "".join(f"<p style='margin:0 0 8px 0'>{text}</p>" for _ in range(repeats))
        message.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
        message.add_attachment(
            attachment, maintype="application", subtype="pdf", filename="kvittering.pdf"
        )
        raw = message.as_bytes()
        if len(raw) >= TARGET_BYTES:
            return raw
        message.clear_content()
        repeats += 1


@dataclass(frozen=True)
class Mail:
    sender: str
    recipient: str
    raw: bytes


@dataclass(frozen=True)
class Sent:
    code: int
    """0 when the conversation failed without an answer to DATA."""
    reply: str
    sent: float
    answered: float


@dataclass
class SmtpResult:
    sent: list[Sent] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    def codes(self) -> dict[int, int]:
        return dict(Counter(each.code for each in self.sent))

    def rate(self, code: int = 250) -> float:
        count = sum(1 for each in self.sent if each.code == code)
        return count / self.elapsed if self.elapsed else 0.0


def send_closed_loop(
    host: str, port: int, mails: list[Mail], *, clients: int, concurrency: int, seconds: float
) -> SmtpResult:
    """``concurrency`` SMTP connections over ``clients`` processes, each sending its next
    message as soon as the last was answered, until ``seconds`` pass or none are left."""
    context = multiprocessing.get_context("spawn")
    ready, go = context.Barrier(clients + 1), context.Barrier(clients + 1)
    results = context.Queue()
    jobs = [
        {
            "host": host,
            "port": port,
            "mails": mails[index::clients],
            "connections": max(1, concurrency // clients),
            "seconds": seconds,
        }
        for index in range(clients)
    ]
    processes = [
        context.Process(target=_client_main, args=(job, ready, go, results), daemon=True)
        for job in jobs
    ]
    for process in processes:
        process.start()
    try:
        ready.wait(timeout=300)
        go.wait(timeout=60)
        parts: list[SmtpResult] = []
        while len(parts) < len(jobs):
            try:
                parts.append(results.get(timeout=1.0))
            except queue.Empty:
                if any(not p.is_alive() and p.exitcode not in (0, None) for p in processes):
                    raise RuntimeError("an SMTP client process died") from None
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    result = SmtpResult()
    for part in parts:
        result.sent += part.sent
        result.errors.update(part.errors)
        result.elapsed = max(result.elapsed, part.elapsed)
    return result


def _client_main(job: dict[str, Any], ready: Any, go: Any, results: Any) -> None:
    ready.wait()
    go.wait()
    results.put(asyncio.run(_client(job)))


async def _client(job: dict[str, Any]) -> SmtpResult:
    import aiosmtplib

    result = SmtpResult()
    mails: list[Mail] = list(reversed(job["mails"]))
    start = time.time()
    deadline = start + job["seconds"]

    async def connection() -> None:
        client = aiosmtplib.SMTP(hostname=job["host"], port=job["port"], timeout=30)
        await client.connect()
        try:
            await client.ehlo(hostname="mx.bench.test")
            while mails and time.time() < deadline:
                mail = mails.pop()
                sent = time.time()
                try:
                    await client.mail(mail.sender)
                    await client.rcpt(mail.recipient)
                    answer = await client.data(mail.raw)
                    result.sent.append(Sent(answer.code, answer.message, sent, time.time()))
                except aiosmtplib.SMTPResponseException as error:
                    result.sent.append(Sent(error.code, error.message, sent, time.time()))
                    await client.rset()
        finally:
            try:
                await client.quit()
            except aiosmtplib.SMTPException:
                client.close()

    outcomes = await asyncio.gather(
        *[connection() for _ in range(job["connections"])], return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            result.errors[f"{type(outcome).__name__}: {outcome}"[:120]] += 1
    result.elapsed = time.time() - start
    return result
