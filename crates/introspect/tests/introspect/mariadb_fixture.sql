CREATE TABLE `Authors` (
    id INT NOT NULL AUTO_INCREMENT,
    `Full Name` VARCHAR(100) NOT NULL COLLATE utf8mb4_bin COMMENT 'as printed',
    email VARCHAR(255) NULL,
    status ENUM('active','it''s','gone') NOT NULL DEFAULT 'active',
    karma DECIMAL(10,2) NOT NULL DEFAULT 0.50,
    created TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    born DATE DEFAULT '2000-01-01',
    token CHAR(36) DEFAULT (uuid()),
    score INT DEFAULT (CAST('42' AS SIGNED) + 1),
    prefs JSON,
    slug VARCHAR(100) AS (lower(`Full Name`)) VIRTUAL,
    name_len INT AS (char_length(`Full Name`)) STORED,
    `größe` INT DEFAULT NULL,
    bio TEXT,
    secret VARCHAR(20) INVISIBLE DEFAULT 'hidden' COMMENT 'not in SELECT *',
    PRIMARY KEY (id),
    UNIQUE KEY uq_email (email),
    UNIQUE KEY uq_token (token) COMMENT 'one per author',
    KEY ix_born (born) COMMENT 'by birthday' IGNORED,
    KEY ix_score (score) IGNORED,
    KEY ix_name_prefix (`Full Name`(10), created DESC),
    KEY ix_slug (slug),
    FULLTEXT KEY ft_bio (bio),
    CONSTRAINT ck_karma CHECK (karma >= 0)
) COMMENT 'people who write';
CREATE TABLE `order` (
    `select` INT NOT NULL,
    `group` INT NOT NULL,
    author_id INT NULL,
    parent_select INT NULL,
    parent_group INT NULL,
    note VARCHAR(20) DEFAULT 'it''s, (fine)' CHECK (note <> ''),
    PRIMARY KEY (`select`, `group`),
    UNIQUE KEY (author_id, `group`),
    CONSTRAINT fk_author FOREIGN KEY (author_id) REFERENCES `Authors` (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT fk_parent FOREIGN KEY (parent_select, parent_group) REFERENCES `order` (`select`, `group`)
        ON DELETE CASCADE,
    CHECK (`group` > 0)
);
CREATE VIEW `Author Names` AS SELECT id, `Full Name` FROM `Authors` WHERE karma > 0;
CREATE SEQUENCE invoice_no START WITH 100 INCREMENT BY 10 MAXVALUE 100000 CACHE 20 CYCLE;
CREATE TABLE schema_migrations (version VARCHAR(255) PRIMARY KEY);
