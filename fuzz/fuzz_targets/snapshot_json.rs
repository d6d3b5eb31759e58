//! Fuzz target `snapshot_json`: see `driftless_fuzz::snapshot_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| driftless_fuzz::snapshot_json(data));
