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
