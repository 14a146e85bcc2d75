"""What feedback holds of one customer, for an export (GDPR art. 15). Admins only; the
erasure is asked for at intake and arrives as an event."""

from __future__ import annotations

from switchboard.feedback.service_layer import customer_erasure
from switchboard.servicekit.service.personal_data import export_router

router = export_router("feedback", customer_erasure.export_customer)
