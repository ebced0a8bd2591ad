"""Parsing: Document -> standard record (pure functions)."""
