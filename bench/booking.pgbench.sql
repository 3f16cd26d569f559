-- One booking as POST /api/v1/care/appointments sends it to PostgreSQL (captured with an
-- engine event on 2026-11-29: the same 25 statements, joins and writes, in the same order),
-- for pgbench to run straight against the database: the ceiling of the endpoint.
-- Variables (bench/booking.py passes them with -D): token_hash, token_id, user_id,
-- institution_id, referral0, session0, slots. Each transaction books the next referral into
-- the next slot, numbered by a sequence, so no two clients ever ask for the same slot.
BEGIN;
SELECT nextval('bench_booking') AS n \gset
\set referral :referral0 + :n
\set activity :session0 + :n / :slots
\set slot :n % :slots
-- the bearer token, its user and their roles
SELECT * FROM api_tokens WHERE token_hash = ':token_hash';
SELECT * FROM users WHERE id = :user_id;
SELECT * FROM memberships WHERE user_id IN (:user_id);
UPDATE api_tokens SET last_used_at = now(), updated_at = now() WHERE id = :token_id;
INSERT INTO audit_log (at, actor_id, actor_name, action, entity, entity_id, changes, address)
VALUES (now(), :user_id, 'registrar', 'update', 'api_tokens', ':token_id',
        '{"last_used_at": "changed", "updated_at": "changed"}', '127.0.0.1') RETURNING id;
-- the referral with its patient, specialty and institutions (joined), then may the user change it
SELECT r.*, p.*, hc.*, hcc.*, pi.*, pic.*, pict.*, pictc.*, s.*, ri.*, ric.*, rict.*, rictc.*
FROM referrals r
LEFT JOIN patients p ON p.id = r.patient_id
LEFT JOIN cities hc ON hc.id = p.home_city_id LEFT JOIN countries hcc ON hcc.id = hc.country_id
LEFT JOIN institutions pi ON pi.id = p.institution_id
LEFT JOIN countries pic ON pic.id = pi.country_id LEFT JOIN cities pict ON pict.id = pi.city_id
LEFT JOIN countries pictc ON pictc.id = pict.country_id
LEFT JOIN specialties s ON s.id = r.specialty_id
LEFT JOIN institutions ri ON ri.id = r.referring_institution_id
LEFT JOIN countries ric ON ric.id = ri.country_id LEFT JOIN cities rict ON rict.id = ri.city_id
LEFT JOIN countries rictc ON rictc.id = rict.country_id
WHERE r.id = :referral;
SELECT * FROM patient_identifiers
WHERE patient_id IN (SELECT patient_id FROM referrals WHERE id = :referral) ORDER BY id;
SELECT rc.referral_id, c.*, cc.* FROM referral_cities rc JOIN cities c ON c.id = rc.city_id
LEFT JOIN countries cc ON cc.id = c.country_id WHERE rc.referral_id IN (:referral) ORDER BY c.id;
SELECT referrals.id FROM referrals
WHERE referrals.id = :referral AND referrals.patient_id IN (
  SELECT patients.id FROM patients WHERE patients.id IN (
    SELECT patients.id FROM patients WHERE patients.institution_id IN (:institution_id)));
-- the session with its places (joined), its leads, then may the user see it
SELECT a.*, s.*, d.*, di.*, dic.*, dict.*, dictc.*, c.*, cc.*, i.*, ic.*, ict.*, ictc.*,
       rm.*, rmi.*, rmic.*, rmict.*, rmictc.*
FROM activities a
LEFT JOIN specialties s ON s.id = a.specialty_id
LEFT JOIN delegations d ON d.id = a.delegation_id
LEFT JOIN institutions di ON di.id = d.institution_id
LEFT JOIN countries dic ON dic.id = di.country_id LEFT JOIN cities dict ON dict.id = di.city_id
LEFT JOIN countries dictc ON dictc.id = dict.country_id
LEFT JOIN cities c ON c.id = a.city_id LEFT JOIN countries cc ON cc.id = c.country_id
LEFT JOIN institutions i ON i.id = a.institution_id
LEFT JOIN countries ic ON ic.id = i.country_id LEFT JOIN cities ict ON ict.id = i.city_id
LEFT JOIN countries ictc ON ictc.id = ict.country_id
LEFT JOIN rooms rm ON rm.id = a.room_id
LEFT JOIN institutions rmi ON rmi.id = rm.institution_id
LEFT JOIN countries rmic ON rmic.id = rmi.country_id
LEFT JOIN cities rmict ON rmict.id = rmi.city_id
LEFT JOIN countries rmictc ON rmictc.id = rmict.country_id
WHERE a.id = :activity;
SELECT al.activity_id, pe.*, pi.*, pic.*, pict.*, pictc.*
FROM activity_leads al JOIN people pe ON pe.id = al.person_id
LEFT JOIN institutions pi ON pi.id = pe.institution_id
LEFT JOIN countries pic ON pic.id = pi.country_id LEFT JOIN cities pict ON pict.id = pi.city_id
LEFT JOIN countries pictc ON pictc.id = pict.country_id
WHERE al.activity_id IN (:activity) ORDER BY pe.id;
SELECT ps.person_id, sp.* FROM person_specialties ps JOIN specialties sp ON sp.id = ps.specialty_id
WHERE ps.person_id IN (SELECT person_id FROM activity_leads WHERE activity_id = :activity)
ORDER BY sp.code;
SELECT activities.id FROM activities
WHERE activities.id = :activity AND activities.program_id IN (
  SELECT programs.id FROM programs WHERE programs.id IN (NULL) AND (1 != 1)
  OR programs.id IN (SELECT program_id FROM activities WHERE institution_id IN (:institution_id))
  OR programs.id IN (SELECT program_id FROM delegations WHERE institution_id IN (:institution_id)));
-- the referral holds no slot yet, the patient consents to treatment, the session's slots
SELECT ap.*, a.*, r.*, p.* FROM appointments ap
LEFT JOIN activities a ON a.id = ap.activity_id
LEFT JOIN referrals r ON r.id = ap.referral_id LEFT JOIN patients p ON p.id = r.patient_id
WHERE ap.referral_id = :referral AND ap.status IN ('booked', 'checked_in', 'seen');
SELECT patient_id, kind, decision FROM consents
WHERE patient_id IN (SELECT patient_id FROM referrals WHERE id = :referral)
ORDER BY patient_id, kind, decided_at, id;
SELECT activity_id, slot_minutes FROM consultation_settings WHERE activity_id = :activity;
SELECT ap.*, a.*, s.*, c.*, cc.*, i.*, ic.*, r.*, p.*, pi.*, ri.*
FROM appointments ap
LEFT JOIN activities a ON a.id = ap.activity_id
LEFT JOIN specialties s ON s.id = a.specialty_id
LEFT JOIN cities c ON c.id = a.city_id LEFT JOIN countries cc ON cc.id = c.country_id
LEFT JOIN institutions i ON i.id = a.institution_id LEFT JOIN countries ic ON ic.id = i.country_id
LEFT JOIN referrals r ON r.id = ap.referral_id LEFT JOIN patients p ON p.id = r.patient_id
LEFT JOIN institutions pi ON pi.id = p.institution_id
LEFT JOIN institutions ri ON ri.id = r.referring_institution_id
WHERE ap.activity_id = :activity AND ap.status IN ('booked', 'checked_in', 'seen');
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
UPDATE referrals SET status = 'booked', updated_at = now() WHERE id = :referral;
INSERT INTO referral_status_changes (referral_id, at, by_id, from_status, to_status)
VALUES (:referral, now(), :user_id, 'waiting', 'booked') RETURNING id;
INSERT INTO audit_log (at, actor_id, actor_name, action, entity, entity_id, changes, address)
VALUES (now(), :user_id, 'registrar', 'create', 'referral_status_changes', ':n',
        '{"id": "changed"}', '127.0.0.1'),
       (now(), :user_id, 'registrar', 'update', 'referrals', ':referral',
        '{"status": "changed"}', '127.0.0.1');
COMMIT;
