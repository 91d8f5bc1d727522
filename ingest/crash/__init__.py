"""Crash-report parsing: pure readers for uploaded crash artefacts (minidumps)."""
