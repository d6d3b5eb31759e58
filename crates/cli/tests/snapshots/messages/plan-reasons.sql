-- driftless fix plan for sqlite: 3 step(s), 0 withheld, 0 unfixed; base schema ac975d5e42cf0ed2

-- step 1 [safe] quarantine column main.authentication_user.avatar
-- reason: orphan-column: column main.authentication_user.avatar exists but is not expected (varchar(255) NULL); its values move to main._driftless_quarantine_authentication_user__avatar, keyed by the primary key (id), restorable with `driftless quarantine restore`; then the column is dropped
CREATE TABLE IF NOT EXISTS "_driftless_quarantine_catalog" (kind varchar(32) NOT NULL, source_schema varchar(255) NOT NULL, source_table varchar(255) NOT NULL, source_column varchar(255), quarantine_schema varchar(255) NOT NULL, quarantine_table varchar(255) NOT NULL, quarantine_column varchar(255), definition text, key_columns text NOT NULL, quarantined_at text NOT NULL, plan varchar(64) NOT NULL);
CREATE TABLE "_driftless_quarantine_authentication_user__avatar" ( "id" INTEGER NOT NULL, "avatar" varchar(255), PRIMARY KEY ("id") );
INSERT INTO "_driftless_quarantine_authentication_user__avatar" ("id", "avatar") SELECT "id", "avatar" FROM "authentication_user";
INSERT INTO "_driftless_quarantine_catalog" (kind, source_schema, source_table, source_column, quarantine_schema, quarantine_table, quarantine_column, definition, key_columns, quarantined_at, plan) VALUES ('column', 'main', 'authentication_user', 'avatar', 'main', '_driftless_quarantine_authentication_user__avatar', 'avatar', '{"position":7,"data_type":"varchar(255)","nullable":true}', '["id"]', CURRENT_TIMESTAMP, 'ac975d5e42cf0ed2');
ALTER TABLE "authentication_user" DROP COLUMN "avatar";

-- step 2 [safe] add column main.authentication_user.login_count
-- reason: missing-column: column main.authentication_user.login_count is missing (expected INTEGER NOT NULL DEFAULT 0) (added by migration 0005_user_login_count); settles ledger-effect-missing: migration 0005_user_login_count is recorded as applied in _sqlx_migrations, but column main.authentication_user.login_count it creates is absent
ALTER TABLE "authentication_user" ADD COLUMN "login_count" INTEGER NOT NULL DEFAULT 0;

-- step 3 [locking] rebuild table main.blog_post
-- reason: nullability-mismatch: column main.blog_post.title is NULL but NOT NULL is expected (last changed by migration 0002_create_blog_post); missing-index: index blog_post_published_at_idx on main.blog_post is missing (expected (published_at)) (added by migration 0003_blog_post_published_at_index); SQLite cannot change columns or constraints in place: the table is rebuilt (new table, copy of the kept columns, drop, rename, indexes recreated; apply also recreates its triggers and those of other tables that read it, and runs foreign_key_check); settles ledger-effect-missing: migration 0003_blog_post_published_at_index is recorded as applied in _sqlx_migrations, but index main.blog_post.blog_post_published_at_idx it creates is absent
CREATE TABLE "_driftless_new_blog_post" ( "id" INTEGER, "author_id" INTEGER NOT NULL CONSTRAINT "blog_post_author_id_fkey" REFERENCES "authentication_user" ("id") ON DELETE CASCADE, "title" varchar(200) NOT NULL, "body" TEXT NOT NULL, "published_at" timestamp, PRIMARY KEY ("id") );
INSERT INTO "_driftless_new_blog_post" ("id", "author_id", "title", "body", "published_at") SELECT "id", "author_id", "title", "body", "published_at" FROM "blog_post";
DROP TABLE "blog_post";
ALTER TABLE "_driftless_new_blog_post" RENAME TO "blog_post";
CREATE INDEX "blog_post_published_at_idx" ON "blog_post" ("published_at");
