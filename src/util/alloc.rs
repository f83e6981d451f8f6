//! The memory allocator's settings, for the programs that use mimalloc (the `junheng` binary
//! and the benchmarks, which measure what it does).

/// `mi_option_purge_delay` of mimalloc 3's `mimalloc.h` (the sys crate has no name for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc 3 gives freed memory back to the system after a second. A build frees the parsed
/// `schools.csv` (hundreds of megabytes) just before the engine and the model allocate
/// theirs; holding both for that second made the national build's peak memory vary from 0.97
/// to 1.12 GiB. Ten milliseconds (mimalloc 2's default) gives it back in time, at no
/// measurable cost in speed. Harmless when mimalloc is linked but not the allocator.
pub fn tune_mimalloc() {
    // SAFETY: mimalloc allows setting an option at any time; the value is a plain integer.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
}

/// The preview server's setting: mimalloc's own delay of a second. A preview rebuilds the
/// same site again and again, and memory given back after each rebuild only comes back as
/// fresh pages the kernel must zero on the next (a tenth of a narrative edit's time on the
/// national site); its memory is what the previewed site holds either way.
pub fn tune_mimalloc_for_preview() {
    // SAFETY: as in `tune_mimalloc`.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
}

#[cfg(test)]
mod tests {
    // Guards the option's number: it names the purge delay (mimalloc 3 defaults it to 1000 ms;
    // the options nearby are flags or counts), and setting it takes.
    #[test]
    fn purge_delay_is_the_option_set() {
        // SAFETY: reading and setting options is allowed at any time.
        unsafe {
            if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
                assert_eq!(libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY), 1000);
            }
            super::tune_mimalloc();
            assert_eq!(libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY), 10);
            super::tune_mimalloc_for_preview();
            assert_eq!(libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY), 1000);
            super::tune_mimalloc();
        }
    }
}
