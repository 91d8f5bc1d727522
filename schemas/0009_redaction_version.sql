-- Which redaction policy version (redact/version.py REDACTION_VERSION) processed each row. Workers stamp it; the
-- re-scrub job (storage/jobs/rescrub.py) rewrites day partitions holding rows of an older version with the
-- current rules. 0 = stored before versioning: everything stored so far is re-scrubbed once.
ALTER TABLE {database}.events ADD COLUMN IF NOT EXISTS redaction_version UInt16 DEFAULT 0;

ALTER TABLE {database}.crashes ADD COLUMN IF NOT EXISTS redaction_version UInt16 DEFAULT 0;
