-- The events table's map keys as plain String, not LowCardinality(String). A merge copies rows one at a time from
-- the parts it joins, and a LowCardinality key nested in a Map is looked up in the new part's dictionary for every
-- key of every row: that made merging `events` cost more than inserting it, and merges were the largest share of
-- the writer's CPU. `bench/insert_bench.py --merges --rows 100000`: 7.7 -> 4.0 µs of CPU per row merged (one key
-- per map); with events_vs_ceiling.py's rows (5-8 props) 9 -> 3. The price is disk: plain keys compress less
-- (those rows: 39 -> 53 bytes per row on disk with the default codec; ZSTD(1) on the maps would make it 36 bytes
-- at 5 µs per row merged).
-- Existing parts are rewritten by ClickHouse in the background (a mutation); reads see both forms meanwhile.
ALTER TABLE {database}.events
    MODIFY COLUMN props_str Map(String, String),
    MODIFY COLUMN props_num Map(String, Float64),
    MODIFY COLUMN props_bool Map(String, Bool),
    MODIFY COLUMN redactions Map(String, UInt32);
