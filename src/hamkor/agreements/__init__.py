"""Agreements, roadmaps, exhibitions and awards of programs (issue 17)."""
