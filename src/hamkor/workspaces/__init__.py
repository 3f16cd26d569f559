"""Workspaces: each role's start page, its own worklist read from the modules (issue 20)."""
