//! Runnable examples: see `cargo run -p driftless-examples --example <name>`.
