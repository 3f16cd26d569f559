"""Who and where: countries, cities and travel times, institutions, rooms, people, specialties."""
