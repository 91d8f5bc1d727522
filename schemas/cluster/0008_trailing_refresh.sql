-- Same as ../0008_trailing_refresh.sql, on every node: the shard tables and the Distributed table each carry
-- the new column. The refresh reads and writes through the Distributed tables (storage/trailing.py).
DROP VIEW IF EXISTS {database}.rollup_active_trailing_mv ON CLUSTER '{cluster}';

ALTER TABLE {database}.rollup_active_daily_local ON CLUSTER '{cluster}'
ADD COLUMN IF NOT EXISTS sessions AggregateFunction(uniqCombined, UUID);

ALTER TABLE {database}.rollup_active_daily ON CLUSTER '{cluster}'
ADD COLUMN IF NOT EXISTS sessions AggregateFunction(uniqCombined, UUID);

ALTER TABLE {database}.rollup_active_daily_mv ON CLUSTER '{cluster}' MODIFY QUERY
SELECT toDate(ts) AS day, app, app_version, os, uniqCombinedState(install_id) AS installs,
       uniqCombinedState(session_id) AS sessions
FROM {database}.events_local
GROUP BY day, app, app_version, os;
