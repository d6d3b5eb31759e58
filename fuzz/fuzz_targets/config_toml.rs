//! Fuzz target `config_toml`: see `driftless_fuzz::config_toml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| driftless_fuzz::config_toml(data));
