"""Consentry's Python client: telemetry and crash reports that keep the privacy promises at the source.

    from consentry_client import Client
    client = Client("https://telemetry.example.com", app="interpreter", app_version="1.4.2", data_dir=path)
    client.set_consent("telemetry")          # "private" (the default) | "telemetry" | "telemetry+crash"
    client.track("editor.opened", mode="split", duration_ms=12)
"""

from consentry_client._client import CONSENT_STATES, PRIVATE_ENV, Client, ConsentError
from consentry_client._crash import PendingCrash
from consentry_client._transport import Refusal
from consentry_client._validate import ValidationError

__version__ = "0.1.0"
__all__ = ["CONSENT_STATES", "PRIVATE_ENV", "Client", "ConsentError", "PendingCrash", "Refusal", "ValidationError"]
