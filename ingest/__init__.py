"""Consentry's collector service: front doors, pipeline stages, CLI."""
