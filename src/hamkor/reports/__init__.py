"""Reports: the figures of programs, against their targets, on dashboards and public pages."""
