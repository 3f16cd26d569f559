"""Hamkor: plan, run and account for cross-border medical cooperation programs."""
