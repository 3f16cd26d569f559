-- The booking transaction itself, for pgbench to run straight against PostgreSQL: the ceiling
-- of POST /api/v1/care/appointments. It holds what booking needs and nothing of HTTP or of
-- authentication (no token, user, membership or access-scope queries): read the referral and
-- the session (their own columns), check that the referral holds no slot, that the patient
-- consents to treatment and which slots of the session are taken, then in a savepoint insert
-- the appointment (the partial unique indexes guard slot and referral) with its audit row,
-- move the referral to 'booked' with its status-history row, and audit both.
-- Variables (bench/booking.py passes them with -D): user_id, referral0, session0, slots. Each
-- transaction books the next referral into the next slot, numbered by a sequence, so no two
-- clients ever ask for the same slot.
BEGIN;
SELECT nextval('bench_booking') AS n \gset
\set referral :referral0 + :n
\set activity :session0 + :n / :slots
\set slot :n % :slots
-- the referral and the session, bare
SELECT id, patient_id, program_id, specialty_id, status FROM referrals WHERE id = :referral;
SELECT id, kind, program_id, specialty_id, starts_at, ends_at FROM activities
WHERE id = :activity;
-- the checks: the referral holds no slot, consent to treatment, the session's taken slots
SELECT id FROM appointments
WHERE referral_id = :referral AND status IN ('booked', 'checked_in', 'seen') LIMIT 1;
SELECT patient_id, kind, decision FROM consents
WHERE patient_id IN (SELECT patient_id FROM referrals WHERE id = :referral)
ORDER BY patient_id, kind, decided_at, id;
SELECT slot FROM appointments
WHERE activity_id = :activity AND status IN ('booked', 'checked_in', 'seen');
SELECT activity_id, slot_minutes FROM consultation_settings WHERE activity_id = :activity;
-- the booking itself: the partial unique indexes guard the slot and the referral
SAVEPOINT booking;
INSERT INTO appointments (activity_id, slot, referral_id, status, booked_by_id, checked_in_at,
                          created_at, updated_at)
VALUES (:activity, :slot, :referral, 'booked', :user_id, NULL, now(), now()) RETURNING id;
INSERT INTO audit_log (at, actor_id, actor_name, action, entity, entity_id, changes, address)
VALUES (now(), :user_id, 'registrar', 'create', 'appointments', ':n',
        '{"id": "changed", "activity_id": "changed", "slot": "changed"}', '127.0.0.1') RETURNING id;
RELEASE SAVEPOINT booking;
-- the referral is booked, with its status history, and both are audited
UPDATE referrals SET status = 'booked', updated_at = now() WHERE id = :referral;
INSERT INTO referral_status_changes (referral_id, at, by_id, from_status, to_status)
VALUES (:referral, now(), :user_id, 'waiting', 'booked') RETURNING id;
INSERT INTO audit_log (at, actor_id, actor_name, action, entity, entity_id, changes, address)
VALUES (now(), :user_id, 'registrar', 'create', 'referral_status_changes', ':n',
        '{"id": "changed"}', '127.0.0.1'),
       (now(), :user_id, 'registrar', 'update', 'referrals', ':referral',
        '{"status": "changed"}', '127.0.0.1');
COMMIT;
