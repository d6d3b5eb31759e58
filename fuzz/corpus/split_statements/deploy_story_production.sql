-- The "production" database of the deploy story, as it really is.
--
-- Built from the migrations in ./migrations, but years of hand fixes left
-- it drifted:
--   * someone added `avatar` to authentication_user by hand, and it holds data;
--   * `login_count` (0005_user_login_count) is absent, although the sqlx
--     ledger below records 0005 as applied (a restore from an old backup);
--   * blog_post_published_at_idx (0003) was dropped during an incident;
--   * blog_post.title was created nullable by an early version of 0002
--     (no row holds NULL there, so it can be made NOT NULL again).
--
-- production.db is built from this file: it is what the README's first
-- command checks. After editing this file, rebuild it with
--   DRIFTLESS_BLESS=1 cargo test -p driftless --test examples
PRAGMA foreign_keys = ON;

CREATE TABLE _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);

CREATE TABLE authentication_user (
    id integer PRIMARY KEY,
    username varchar(150) NOT NULL,
    email varchar(254) NOT NULL,
    password varchar(128) NOT NULL,
    is_active boolean NOT NULL DEFAULT TRUE,
    date_joined timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX authentication_user_username_key ON authentication_user (username);

CREATE TABLE blog_post (
    id integer PRIMARY KEY,
    author_id integer NOT NULL,
    title varchar(200),
    body text NOT NULL,
    published_at timestamp NULL,
    CONSTRAINT blog_post_author_id_fkey FOREIGN KEY (author_id)
        REFERENCES authentication_user (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX authentication_user_email_key ON authentication_user (email);

-- The hand-made column.
ALTER TABLE authentication_user ADD COLUMN avatar varchar(255);

-- What sqlx recorded (SHA-384 of each migration file).
INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES
    (1, 'create auth user', '2023-03-01 09:12:44', TRUE, X'ea65a8bd3d9f7ad7d1ff92bc9038d05c71d4a52b826e7087ead8b3287672822d7d9affd0973955973a5d1173e11aad72', 4120334),
    (2, 'create blog post', '2023-03-01 09:12:44', TRUE, X'672c440bd53513e0b0b13eb6140ac7d2fce8f42dfcd9a42531a8a91c778b0483ea6c038be23edfca70ee7b6112ad5c32', 2380117),
    (3, 'blog post published at index', '2023-06-14 17:40:02', TRUE, X'0eb6aeffcf38c436357a26a402a98e0c5288cabe7d7a9b3a62e6768828c926c3e7ad22b626ad22d92f12234bfadf83eb', 1904552),
    (4, 'user email unique', '2024-01-09 08:03:51', TRUE, X'abf2471dcf5d8e10a7e2fe0c20eeeb9a19803267839c33efee1e886530ac2cbed287815b8973e2481562b7d817616f9a', 2210004),
    (5, 'user login count', '2024-11-20 22:31:07', TRUE, X'3c986555cc852c17b116bc6f4b486a504aedc7466127ecba6c71f90a335c6d72f6b0a256bb4afb100f8e0f76d5eee4e1', 3307781);

INSERT INTO authentication_user (id, username, email, password, is_active, date_joined, avatar) VALUES
    (1, 'ada', 'ada@example.com', 'pbkdf2_sha256$600000$Xq1$Zm9v', TRUE, '2023-03-02 10:00:00', 'avatars/ada.png'),
    (2, 'grace', 'grace@example.com', 'pbkdf2_sha256$600000$Yr2$YmFy', TRUE, '2023-04-11 15:30:00', 'avatars/grace.jpg'),
    (3, 'linus', 'linus@example.com', 'pbkdf2_sha256$600000$Zs3$YmF6', FALSE, '2024-02-29 23:59:59', NULL);

INSERT INTO blog_post (id, author_id, title, body, published_at) VALUES
    (1, 1, 'Notes on the analytical engine', 'It weaves algebraic patterns.', '2023-03-05 08:00:00'),
    (2, 2, 'Nanoseconds', 'A piece of wire 11.8 inches long.', '2023-05-01 12:00:00'),
    (3, 2, 'COBOL, a draft', 'Common business-oriented language.', NULL);
