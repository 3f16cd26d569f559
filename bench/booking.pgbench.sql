-- The booking transaction itself, for pgbench to run straight against PostgreSQL: the ceiling
-- of POST /api/v1/care/appointments. It sends what the endpoint sends to book (care.booking:
-- _booking_parties, _insert_unless_taken, _record_booking) and nothing of HTTP or of
-- authentication (no token, user, membership or access-scope conditions): read the
-- referral's and the session's own columns with, in the same statement, whether the
-- referral holds a slot, the consent to treatment in force, the slot length and whether the
-- slot is taken; insert the appointment unless a partial unique index refuses it; move the
-- referral to 'booked' with its status-history row; audit the three writes (the endpoint
-- sends the three audit rows as one executemany, here one INSERT of three rows).
-- Variables (bench/booking.py passes them with -D): user_id, referral0, session0, slots. Each
-- transaction books the next referral into the next slot, numbered by a sequence, so no two
-- clients ever ask for the same slot.
BEGIN;
SELECT nextval('bench_booking') AS n \gset
\set referral :referral0 + :n
\set activity :session0 + :n / :slots
\set slot :n % :slots
SELECT EXISTS (SELECT * FROM appointments WHERE referral_id = :referral
               AND status IN ('booked', 'checked_in', 'seen')) AS held,
       (SELECT decision FROM consents WHERE patient_id = referrals.patient_id
        AND kind = 'treatment' ORDER BY decided_at DESC, id DESC LIMIT 1) AS consent,
       (SELECT slot_minutes FROM consultation_settings WHERE activity_id = :activity) AS minutes,
       EXISTS (SELECT * FROM appointments WHERE activity_id = :activity AND slot = :slot
               AND status IN ('booked', 'checked_in', 'seen')) AS taken,
       referrals.id, referrals.patient_id, referrals.program_id, referrals.specialty_id,
       referrals.status, activities.id, activities.kind, activities.program_id,
       activities.specialty_id, activities.starts_at, activities.ends_at
FROM referrals JOIN activities ON activities.id = :activity
WHERE referrals.id = :referral;
INSERT INTO appointments (activity_id, slot, referral_id, status, booked_by_id, checked_in_at,
                          created_at, updated_at)
VALUES (:activity, :slot, :referral, 'booked', :user_id, NULL, now(), now())
ON CONFLICT DO NOTHING RETURNING id;
UPDATE referrals SET status = 'booked', updated_at = now() WHERE id = :referral;
INSERT INTO referral_status_changes (referral_id, at, by_id, from_status, to_status)
VALUES (:referral, now(), :user_id, 'waiting', 'booked') RETURNING id;
INSERT INTO audit_log (at, actor_id, actor_name, action, entity, entity_id, changes, address)
VALUES (now(), :user_id, 'registrar', 'create', 'appointments', ':n',
        '{"id": "changed", "activity_id": "changed", "slot": "changed", "referral_id": "changed",
          "status": "changed", "booked_by_id": "changed", "checked_in_at": "changed",
          "created_at": "changed", "updated_at": "changed"}', '127.0.0.1'),
       (now(), :user_id, 'registrar', 'create', 'referral_status_changes', ':n',
        '{"id": "changed", "referral_id": "changed", "at": "changed", "by_id": "changed",
          "from_status": "changed", "to_status": "changed"}', '127.0.0.1'),
       (now(), :user_id, 'registrar', 'update', 'referrals', ':referral',
        '{"status": "changed", "updated_at": "changed"}', '127.0.0.1');
COMMIT;
