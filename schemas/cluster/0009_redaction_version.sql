-- Same as ../0009_redaction_version.sql, on every node: the shard tables and the Distributed tables each carry
-- the new column (a Distributed table lists its columns; one without it could neither read nor insert them).
ALTER TABLE {database}.events_local ON CLUSTER '{cluster}'
ADD COLUMN IF NOT EXISTS redaction_version UInt16 DEFAULT 0;

ALTER TABLE {database}.events ON CLUSTER '{cluster}'
ADD COLUMN IF NOT EXISTS redaction_version UInt16 DEFAULT 0;

ALTER TABLE {database}.crashes_local ON CLUSTER '{cluster}'
ADD COLUMN IF NOT EXISTS redaction_version UInt16 DEFAULT 0;

ALTER TABLE {database}.crashes ON CLUSTER '{cluster}'
ADD COLUMN IF NOT EXISTS redaction_version UInt16 DEFAULT 0;
