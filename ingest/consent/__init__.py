"""Consent, in one place: what a request says (request), what an SDK key and marker allow (sdk), what an install
recorded (registry) or withdrew by asking for deletion (blocklist), the files the writer publishes for the workers
(published), and the key those records are hashed with (keys). The writer's side is ingest/durable/consent.py."""
