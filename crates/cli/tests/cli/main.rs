//! The `driftless` binary's integration tests, one test binary made of
//! modules (`cargo test -p driftless --test cli`; one module:
//! `cargo test -p driftless --test cli faults::`).
//!
//! - `alembic_project`: `--migrations` as Alembic users name a project, and
//!   the upgrade hook of `examples/recipes/alembic`;
//! - `commands`: every command end to end: output formats, exit codes,
//!   `--schema`, pipes;
//! - `documents`: JSON output against the published JSON Schemas, Markdown
//!   output well formed (the checks every module's output goes through);
//! - `bad_input`: malformed files, URLs and folders exit 2 with one line;
//! - `examples`: the README's example and the deploy-story database;
//! - `frameworks`: the deploy story on a real Django project;
//! - `django_app`: `manage.py driftless` (integrations/django) installed
//!   with the wheel into a fresh virtualenv;
//! - `messages`: what a user reads, pinned by snapshots;
//! - `packaging`: the wheel (`pip install .`) gives the `driftless` command;
//! - `privileges`: `--privileges` and `[coverage] privileges` on
//!   `snapshot`, `check`, `plan` and `fix`; without them, grants are not
//!   compared;
//! - `quarantine`: `quarantine list|restore` round trips on each backend;
//! - `rails`: the deploy story on a real Rails project, and `--step-cmd`;
//! - `fleet`: `check` over tenant schemas, databases of a server and lists
//!   of databases; shards and `report merge`; baselines; fix by group;
//! - `faults`: signals, killed connections and crashes during `fix --apply`;
//! - `locked`: reads behind another session's lock fail naming it, and
//!   SIGINT / SIGTERM stop every command while it waits;
//! - `concurrency`: parallel deploys fixing one database;
//! - `recipes`: examples/recipes run as Render, GitHub Actions and GitLab
//!   run them, with the wheel, against real databases;
//! - `read_only`: `check`, `plan`, `snapshot`, `migrations` never write;
//! - `resources`: connect, lock and statement timeouts;
//! - `secrets`: no password printed, whatever the command and log level;
//! - `support`: running the binary, side connections, database state.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod alembic_project;
mod alembic_repair;
mod bad_input;
mod commands;
mod concurrency;
mod coverage;
mod django_app;
mod documents;
mod examples;
mod faults;
mod fleet;
mod frameworks;
mod history;
mod ledger_rebuild;
mod ledger_repair;
mod locked;
mod messages;
mod online;
mod packaging;
mod privileges;
mod quarantine;
mod rails;
mod read_only;
mod recipes;
mod renames;
mod resources;
mod secrets;
mod snapshot_fields;
mod support;
