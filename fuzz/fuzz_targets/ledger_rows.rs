//! Fuzz target `ledger_rows`: see `driftless_fuzz::ledger_rows`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| driftless_fuzz::ledger_rows(data));
