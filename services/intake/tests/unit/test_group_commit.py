"""Which contacts of a burst may share one group commit."""

from datetime import UTC, datetime

from switchboard.intake.domain.channel_adapters import AdapterView
from switchboard.intake.domain.contacts import ChatContact
from switchboard.intake.domain.language import LanguageGuess
from switchboard.intake.domain.values import Channel
from switchboard.intake.service_layer.contacts.accept import IncomingContact
from switchboard.intake.service_layer.contacts.group_commit import PendingContact, independent

ADAPTER = AdapterView(
    id="chat",
    channel=Channel.CHAT,
    region=None,
    default_country=None,
    department=None,
    enabled=True,
    current_secret="whsec_x",
)


def pending(session: str, visitor: str, webhook: str, email: str | None = None) -> PendingContact:
    contact = ChatContact.model_validate(
        {
            "session_id": session,
            "visitor": {"id": visitor, **({"email": email} if email else {})},
            "message": "hello",
        }
    )
    return PendingContact(
        IncomingContact(
            adapter=ADAPTER,
            contact=contact,
            webhook_id=webhook,
            language=LanguageGuess("und", 0.0),
            received_at=datetime.now(UTC),
        )
    )


async def test_unrelated_contacts_share_a_batch():
    batch = [pending(f"s{i}", f"v{i}", f"w{i}") for i in range(5)]
    assert independent(batch) == (batch, [])


async def test_contacts_touching_the_same_thread_identity_or_message_wait():
    first = pending("s1", "v1", "w1", email="ann@example.com")
    same_session = pending("s1", "v2", "w2")
    same_email = pending("s3", "v3", "w3", email="ANN@example.com")
    same_webhook = pending("s4", "v4", "w1")
    other = pending("s5", "v5", "w5")
    ready, deferred = independent([first, same_session, same_email, same_webhook, other])
    assert ready == [first, other]
    assert deferred == [same_session, same_email, same_webhook]
