"""Twilio's webhooks and answers, each as its source published it, with what intake makes of
it. Sources:

- VALIDATOR: twilio/twilio-python tests/unit/test_request_validator.py and twilio/twilio-node
  spec/validation.spec.js — the auth token ``12345``, the URL
  ``https://mycompany.com/myapp.php?foo=1&bar=2``, the call parameters and the signatures
  they expect.
- DOCS_SECURITY: the worked example of https://www.twilio.com/docs/usage/security
  (#validating-requests): the same token and URL, a caller +12349013030, and the signature
  ``0/KCTR6DLpKmkAf8muzZqo1nDgQ=`` (quoted so by many public test suites that check it).
- NUNTIUS: the nuntius gem, app/controllers/nuntius/inbound_messages/
  twilio_inbound_smses_controller.rb (rubydoc.info, gems/nuntius/1.3.12) — an incoming SMS
  exactly as Twilio posted it to that controller (its rails routing keys left out).
- WHATSAPP: the parameters Twilio posts for a WhatsApp message as slashweb/Bamboo-Cash
  src/chat/types/twilio.type.ts types them (SmsMessageSid, NumMedia, ProfileName,
  MessageType, SmsSid, WaId, SmsStatus, Body, To, NumSegments, ReferralNumMedia, MessageSid,
  AccountSid, From, ApiVersion), with MediaContentType0/MediaUrl0 for an image and
  Latitude/Longitude for a location as Huawei's Twilio WhatsApp adapter documents them
  (support.huaweicloud.com/intl/en-us/api-cec/cec_07_0996.html); the sources redact their
  values, so the numbers and sids here are ours, in Twilio's formats.
- DOCS_MESSAGING: https://www.twilio.com/docs/messaging/guides/webhook-request (NumMedia,
  MediaUrl<n>, MediaContentType<n>) and the status callback parameters of
  https://www.twilio.com/docs/messaging/guides/track-outbound-message-status (MessageStatus,
  ErrorCode).
- DOCS_VOICE: https://www.twilio.com/docs/usage/webhooks/voice-webhooks and the <Record>
  verb's action parameters (https://www.twilio.com/docs/voice/twiml/record): CallSid,
  AccountSid, From, To, CallStatus, Direction, CallDuration, RecordingUrl, RecordingSid,
  RecordingDuration.
- CREATED: arvipDev/usecase-3 src/test/resources/sendMessageFlow1testmessagessuccess/
  assert_expression_payload.dwl — the Message resource Twilio answered a create with (201).
- ERROR: Twilio's REST error document as https://www.twilio.com/docs/usage/twilios-response
  shows it (code 21211, an invalid To number).
"""

from __future__ import annotations

from typing import Any

ACCOUNT_SID = "ACf54dd7a47a8011d65b54d472a7190549"  # NUNTIUS
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"  # ours: a token of Twilio's shape

# VALIDATOR: the auth token, URL, parameters and signatures of the SDKs' tests
VECTOR_TOKEN = "12345"
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMETERS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
VECTOR_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
# DOCS_SECURITY: Twilio's own worked example
DOCS_PARAMETERS = VECTOR_PARAMETERS | {"Caller": "+12349013030", "From": "+12349013030"}
DOCS_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
VECTOR_SIGNATURES_BY_URL = {
    # twilio-python test_validation_removes_port_on_https
    "https://mycompany.com:1234/myapp.php?foo=1&bar=2": VECTOR_SIGNATURE,
    # twilio-python test_validation_removes_port_on_http (hash of the URL with port 1234)
    "http://mycompany.com:1234/myapp.php?foo=1&bar=2": "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
    # twilio-python test_validation_adds_port_on_https (hash of the URL with port 443)
    VECTOR_URL: "kvajT1Ptam85bY51eRf/AJRuM3w=",
    # twilio-python test_validation_adds_port_on_http (hash of the URL with port 80)
    "http://mycompany.com/myapp.php?foo=1&bar=2": "0ZXoZLH/DfblKGATFgpif+LLRf4=",
    # twilio-node "should validate urls with credentials"
    "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2": "CukzLTc1tT5dXEDIHm/tKBanW10=",
    # twilio-node "should validate urls with special characters"
    VECTOR_URL + "&Body=It's+amazing": "dsq4Ehbj6cs+KdTkpF5sSSplOWw=",
}
# twilio-python test_compute_signature_duplicate_multi_dict / twilio-node array parameters
VECTOR_REPEATED = {"Sid": ["CA123"], "SidAccount": ["AC123"], "Digits": ["5678", "1234", "1234"]}
VECTOR_REPEATED_SIGNATURE = "IK+Dwps556ElfBT0I3Rgjkr1wJU="
# twilio-node spec: the JSON body, its hash and the signature of the URL carrying it
VECTOR_BODY = b'{"property": "value", "boolean": true}'
VECTOR_BODY_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
VECTOR_BODY_SIGNATURE = "a9nBmqA0ju/hNViExpshrM61xv4="
VECTOR_EMPTY_BODY_HASH = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
VECTOR_EMPTY_BODY_SIGNATURE = "Ldidvp12m26NI7eqEvxnEpkd9Hc="

# NUNTIUS: an incoming SMS as Twilio posted it
SMS = {
    "ToCountry": "NL",
    "ToState": "",
    "SmsMessageSid": "SMb711289e438f577f230f5837e9c74a08",
    "NumMedia": "0",
    "ToCity": "",
    "FromZip": "",
    "SmsSid": "SMb711289e438f577f230f5837e9c74a08",
    "FromState": "",
    "SmsStatus": "received",
    "FromCity": "",
    "Body": "St",
    "FromCountry": "NL",
    "To": "+3197014204768",
    "MessagingServiceSid": "MG790b6bd09f119b54ffb7f03b8841b1c9",
    "ToZip": "",
    "NumSegments": "1",
    "MessageSid": "SMb711289e438f577f230f5837e9c74a08",
    "AccountSid": ACCOUNT_SID,
    "From": "+31612345678",
    "ApiVersion": "2010-04-01",
}

# DOCS_MESSAGING: an MMS with text, a photo and a video (parameters as documented; values ours)
MMS = {
    "MessageSid": "MM0123456789abcdef0123456789abcdef",
    "SmsMessageSid": "MM0123456789abcdef0123456789abcdef",
    "AccountSid": ACCOUNT_SID,
    "From": "+4520123456",
    "To": "+4589871234",
    "Body": "Billede af den ødelagte vare",
    "NumMedia": "2",
    "NumSegments": "1",
    "MediaContentType0": "image/jpeg",
    "MediaUrl0": (
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/"
        "MM0123456789abcdef0123456789abcdef/Media/ME0123456789abcdef0123456789abcdef"
    ),
    "MediaContentType1": "video/mp4",
    "MediaUrl1": (
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/"
        "MM0123456789abcdef0123456789abcdef/Media/ME1123456789abcdef0123456789abcdef"
    ),
    "SmsStatus": "received",
    "ApiVersion": "2010-04-01",
}

# WHATSAPP: a WhatsApp image without a caption, through Twilio
WHATSAPP_IMAGE = {
    "MediaContentType0": "image/jpeg",
    "SmsMessageSid": "MMa1b2c3d4e5f60718293a4b5c6d7e8f90",
    "NumMedia": "1",
    "ProfileName": "Ann Example",
    "MessageType": "image",
    "SmsSid": "MMa1b2c3d4e5f60718293a4b5c6d7e8f90",
    "WaId": "4520123456",
    "SmsStatus": "received",
    "Body": "",
    "To": "whatsapp:+4589871234",
    "NumSegments": "1",
    "ReferralNumMedia": "0",
    "MessageSid": "MMa1b2c3d4e5f60718293a4b5c6d7e8f90",
    "AccountSid": ACCOUNT_SID,
    "From": "whatsapp:+4520123456",
    "MediaUrl0": (
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/"
        "MMa1b2c3d4e5f60718293a4b5c6d7e8f90/Media/ME2123456789abcdef0123456789abcdef"
    ),
    "ApiVersion": "2010-04-01",
}
# WHATSAPP: a text
WHATSAPP_TEXT = WHATSAPP_IMAGE | {
    "MessageSid": "SMa1b2c3d4e5f60718293a4b5c6d7e8f91",
    "SmsMessageSid": "SMa1b2c3d4e5f60718293a4b5c6d7e8f91",
    "SmsSid": "SMa1b2c3d4e5f60718293a4b5c6d7e8f91",
    "MessageType": "text",
    "NumMedia": "0",
    "Body": "Hej! Hvor er min pakke?",
}
del WHATSAPP_TEXT["MediaContentType0"], WHATSAPP_TEXT["MediaUrl0"]
# WHATSAPP: a shared location (MessageType location, Latitude/Longitude, no Body)
WHATSAPP_LOCATION = WHATSAPP_TEXT | {
    "MessageSid": "SMa1b2c3d4e5f60718293a4b5c6d7e8f92",
    "MessageType": "location",
    "Body": "",
    "Latitude": "55.6761",
    "Longitude": "12.5683",
}

MESSAGE_SAMPLES: list[tuple[str, dict[str, str], Any]] = [
    # name, form, (platform, handle, text, [(filename, content type)]) or None: ignored
    ("sms", SMS, ("sms", "+31612345678", "St", [])),
    (
        "mms",
        MMS,
        (
            "sms",
            "+4520123456",
            "Billede af den ødelagte vare",
            [
                ("ME0123456789abcdef0123456789abcdef", "image/jpeg"),
                ("ME1123456789abcdef0123456789abcdef", "video/mp4"),
            ],
        ),
    ),
    (
        "whatsapp-image",
        WHATSAPP_IMAGE,
        (
            "whatsapp",
            "+4520123456",
            "[image/jpeg]",
            [("ME2123456789abcdef0123456789abcdef", "image/jpeg")],
        ),
    ),
    ("whatsapp-text", WHATSAPP_TEXT, ("whatsapp", "+4520123456", "Hej! Hvor er min pakke?", [])),
    ("whatsapp-location", WHATSAPP_LOCATION, None),
]


# DOCS_MESSAGING: status callbacks of an outbound message
def message_status(sid: str, status: str, error_code: str | None = None) -> dict[str, str]:
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "AccountSid": ACCOUNT_SID,
        "From": "+4589871234",
        "To": "+4520123456",
        "ApiVersion": "2010-04-01",
    }
    return form | ({"ErrorCode": error_code} if error_code else {})


# DOCS_VOICE: an incoming call
CALL_SID = "CA5ba6a2d1f9e84b1b9d1e0b3a7c4f2e11"
INCOMING_CALL = {
    "AccountSid": ACCOUNT_SID,
    "ApiVersion": "2010-04-01",
    "CallSid": CALL_SID,
    "CallStatus": "ringing",
    "Called": "+4589871234",
    "Caller": "+4520123456",
    "Direction": "inbound",
    "From": "+4520123456",
    "FromCountry": "DK",
    "To": "+4589871234",
    "ToCountry": "DK",
}
# DOCS_VOICE: our <Record>'s action request once the caller left a message
RECORDED = INCOMING_CALL | {
    "CallStatus": "completed",
    "RecordingUrl": (
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/"
        "RE557ce644e5ab84fa21cc21112e22c485"
    ),
    "RecordingSid": "RE557ce644e5ab84fa21cc21112e22c485",
    "RecordingDuration": "14",
    "Digits": "hangup",
}
# DOCS_VOICE: status callbacks
MISSED_CALL = INCOMING_CALL | {
    "CallSid": "CA5ba6a2d1f9e84b1b9d1e0b3a7c4f2e12",
    "CallStatus": "no-answer",
    "CallDuration": "0",
}
COMPLETED_CALL = INCOMING_CALL | {"CallStatus": "completed", "CallDuration": "31"}
OUTBOUND_BUSY = INCOMING_CALL | {
    "CallSid": "CA5ba6a2d1f9e84b1b9d1e0b3a7c4f2e13",
    "Direction": "outbound-api",
    "CallStatus": "busy",
}
WITHHELD_NUMBER = MISSED_CALL | {
    "CallSid": "CA5ba6a2d1f9e84b1b9d1e0b3a7c4f2e14",
    "From": "+266696687",  # Twilio's caller id for a withheld number
    "Caller": "+266696687",
}

CALL_SAMPLES: list[tuple[str, dict[str, str], Any]] = [
    # name, form, (event, caller, duration) or None: ignored
    ("voicemail", RECORDED, ("voicemail", "+4520123456", 14.0)),
    ("missed", MISSED_CALL, ("call_missed", "+4520123456", 0.0)),
    (
        "busy",
        MISSED_CALL | {"CallSid": "CA5ba6a2d1f9e84b1b9d1e0b3a7c4f2e15", "CallStatus": "busy"},
        ("call_missed", "+4520123456", 0.0),
    ),
    ("completed", COMPLETED_CALL, None),
    ("ringing", INCOMING_CALL, None),
    ("outbound", OUTBOUND_BUSY, None),
    ("withheld", WITHHELD_NUMBER, None),
]

# CREATED: Twilio's answer to a create (201), trimmed to what it documents
CREATED = {
    "sid": "SMb0cbc8c2f1c34b4ea6451cb33d21c125",
    "date_created": "Thu, 26 Aug 2021 15:25:27 +0000",
    "date_updated": "Thu, 26 Aug 2021 15:25:27 +0000",
    "date_sent": None,
    "account_sid": "AC1e55e7e7500d2431dc16b9ddd44965a7",
    "to": "+919902930265",
    "from": "+16787265106",
    "messaging_service_sid": None,
    "body": "Sent from your Twilio trial account - Hello there",
    "status": "queued",
    "num_segments": "1",
    "num_media": "0",
    "direction": "outbound-api",
    "api_version": "2010-04-01",
    "price": None,
    "price_unit": "USD",
    "error_code": None,
    "error_message": None,
}
# ERROR: a refused create
INVALID_TO = {
    "code": 21211,
    "message": "The 'To' number +1555 is not a valid phone number.",
    "more_info": "https://www.twilio.com/docs/errors/21211",
    "status": 400,
}
