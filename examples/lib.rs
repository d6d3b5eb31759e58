//! Runnable examples of the driftless crates:
//!
//! * `cargo run -p driftless-examples --example custom_rule`: a team's own
//!   rules registered next to the built-in ones, run on two snapshots built
//!   in memory;
//! * `cargo run -p driftless-examples --example deploy_tool`: a deploy
//!   tool's pre-migrate hook: check, plan, refuse anything destructive,
//!   repair, verify;
//! * `deploy-story/`: the classic failed deploy on SQLite (migrations, the
//!   drifted `production.db` and the SQL it is built from);
//! * `recipes/`: a Render-style build script, a GitHub Actions workflow
//!   uploading SARIF, a Django pre-deploy hook.
//!
//! `tests/examples.rs` builds and runs both examples.
