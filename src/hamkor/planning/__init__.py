"""Planning: turning a program's requests into a timetable, patient and trainee schedule."""
