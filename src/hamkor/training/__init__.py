"""Training: courses, sessions, enrolments, QR attendance and the mentoring cascade."""
