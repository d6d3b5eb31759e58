//! Fuzz target `migration_files`: see `driftless_fuzz::migration_files`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| driftless_fuzz::migration_files(data));
