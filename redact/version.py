"""The redaction policy version: which rules processed a stored value.

Every stored event and crash row carries the REDACTION_VERSION its worker ran (`redaction_version` column), and
text attachments carry it in their object metadata. The re-scrub job (`consentry jobs run rescrub`) rewrites what
was stored under an older version with the current rules, so a rule that learns to remove something also removes
it from the data already kept.

Bump REDACTION_VERSION whenever what redaction removes changes (rules, engine, field table, name lists), then set
RULES_FINGERPRINT to what tests/unit/redaction/test_version.py prints. That test hashes the files that decide
what is removed and fails until both are updated, so a rule change cannot ship without a bump. A bump with no
behaviour change only costs one needless re-scrub; a forgotten bump leaves weaker-redacted data in place.

Version 0 is reserved: rows stored before versioning existed (the column's default), re-scrubbed once.
"""

from __future__ import annotations

REDACTION_VERSION = 4
# sha256 over the files listed by tests/unit/redaction/test_version.py (redact/*.py, redact/rules/*.py,
# redact/data/*, less the tooling that decides nothing), each as "<path>\0<bytes>\0", in path order.
RULES_FINGERPRINT = "4a7e82b102d5254fd1a65dd216f3a3c0df6f4577b8fb16bb08309b8cc49fbcef"
