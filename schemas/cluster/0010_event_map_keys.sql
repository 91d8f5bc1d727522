-- Same as ../0010_event_map_keys.sql, on every node: the shard tables, then their Distributed twins (a
-- Distributed table lists its columns and their types).
ALTER TABLE {database}.events_local ON CLUSTER '{cluster}'
    MODIFY COLUMN props_str Map(String, String),
    MODIFY COLUMN props_num Map(String, Float64),
    MODIFY COLUMN props_bool Map(String, Bool),
    MODIFY COLUMN redactions Map(String, UInt32);

ALTER TABLE {database}.events ON CLUSTER '{cluster}'
    MODIFY COLUMN props_str Map(String, String),
    MODIFY COLUMN props_num Map(String, Float64),
    MODIFY COLUMN props_bool Map(String, Bool),
    MODIFY COLUMN redactions Map(String, UInt32);
