"""Programs, delegations and their brigades, participations and activities."""
