-- Users of the application.
CREATE TABLE authentication_user (
    id integer PRIMARY KEY,
    username varchar(150) NOT NULL,
    email varchar(254) NOT NULL,
    password varchar(128) NOT NULL,
    is_active boolean NOT NULL DEFAULT TRUE,
    date_joined timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE UNIQUE INDEX authentication_user_username_key ON authentication_user (username);
-- Posts written by users.
CREATE TABLE blog_post (
    id integer PRIMARY KEY,
    author_id integer NOT NULL,
    title varchar(200) NOT NULL,
    body text NOT NULL,
    published_at timestamp NULL,
    CONSTRAINT blog_post_author_id_fkey FOREIGN KEY (author_id)
        REFERENCES authentication_user (id) ON DELETE CASCADE
);
-- The front page lists the latest posts.
CREATE INDEX blog_post_published_at_idx ON blog_post (published_at);
-- One account per email address.
CREATE UNIQUE INDEX authentication_user_email_key ON authentication_user (email);
-- Count logins, for the new activity dashboard.
ALTER TABLE authentication_user ADD COLUMN login_count integer NOT NULL DEFAULT 0;
