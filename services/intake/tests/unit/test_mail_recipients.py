import pytest

from switchboard.intake.domain.identity import InvalidIdentity
from switchboard.intake.domain.mail_recipients import MailRecipients


def test_whole_domains_and_single_addresses_are_taken_whatever_the_case():
    recipients = MailRecipients.of(["Acme.test", "@bücher.dk", "Help@Other.test", " "])
    assert recipients.accepts("anyone@ACME.test")
    assert recipients.accepts("<kontakt@xn--bcher-kva.dk>")
    assert recipients.accepts("help@other.test")
    assert not recipients.accepts("sales@other.test")
    assert not recipients.accepts("ann@example.dk")


@pytest.mark.parametrize(
    "address", ["", "acme.test", "@acme.test", "a b@acme.test", "a@@acme.test"]
)
def test_what_is_no_address_is_refused(address):
    assert not MailRecipients.of(["acme.test"]).accepts(address)


def test_a_configured_entry_that_is_no_domain_or_address_is_refused():
    with pytest.raises(InvalidIdentity):
        MailRecipients.of(["help@"])
    with pytest.raises(InvalidIdentity):
        MailRecipients.of(["acme"])
