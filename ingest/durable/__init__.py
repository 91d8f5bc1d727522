"""Durable intake: workers append accepted batches to spool segments; one writer drains them to storage."""
