//! Fuzz target `split_statements`: see `driftless_fuzz::split_statements`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| driftless_fuzz::split_statements(data));
