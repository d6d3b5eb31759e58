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
