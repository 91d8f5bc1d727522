"""ClickHouse: the client (embedded chDB or a server), its async executor, migrations, and cluster targets."""
