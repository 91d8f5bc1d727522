"""Pipeline stages shared by every front door: decode, consent, validate, redact."""
