"""Care: patients, consents, referrals, consultation booking, outcomes and follow-up."""
