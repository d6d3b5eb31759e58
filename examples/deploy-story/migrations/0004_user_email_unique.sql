-- One account per email address.
CREATE UNIQUE INDEX authentication_user_email_key ON authentication_user (email);
