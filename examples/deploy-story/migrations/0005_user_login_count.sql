-- Count logins, for the new activity dashboard.
ALTER TABLE authentication_user ADD COLUMN login_count integer NOT NULL DEFAULT 0;
