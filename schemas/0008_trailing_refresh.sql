-- rollup_active_trailing is no longer filled at insert: its view merged every inserted block into the 30 report
-- days it counts toward, which cost the writer more per event than the events table itself at real install
-- counts (bench/insert_bench.py). The writer now recomputes report days from the daily sketches instead
-- (storage/trailing.py): yesterday and today before every read barrier, every day that got events each
-- reports.trailing_refresh_s. Rows written by the old view stay valid: a refresh appends sketches, and merging
-- a sketch with a copy of itself changes nothing.
DROP VIEW IF EXISTS {database}.rollup_active_trailing_mv;

-- Crash-free reads sessions per release from the trailing rows; the refresh takes them from here.
ALTER TABLE {database}.rollup_active_daily ADD COLUMN IF NOT EXISTS sessions AggregateFunction(uniqCombined, UUID);

ALTER TABLE {database}.rollup_active_daily_mv MODIFY QUERY
SELECT toDate(ts) AS day, app, app_version, os, uniqCombinedState(install_id) AS installs,
       uniqCombinedState(session_id) AS sessions
FROM {database}.events
GROUP BY day, app, app_version, os;
