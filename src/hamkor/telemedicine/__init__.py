"""Telemedicine: teleconsultation cases between a home institution and a centre abroad."""
