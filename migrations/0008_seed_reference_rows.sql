-- Reference rows every Campus installation starts with: the built-in system
-- account and the all-staff circle it moderates.
-- cairn:up
INSERT INTO users (id, email, display_name, role)
VALUES ('system', 'system@campus.invalid', 'Campus System', 'admin');
INSERT INTO circles (id, name, description, owner_id)
VALUES ('all-staff', 'All staff', 'Every teacher and administrator', 'system');
INSERT INTO circle_members (circle_id, user_id, member_role)
VALUES ('all-staff', 'system', 'moderator');
-- cairn:down
DELETE FROM circle_members WHERE circle_id = 'all-staff' AND user_id = 'system';
DELETE FROM circles WHERE id = 'all-staff';
DELETE FROM users WHERE id = 'system';
