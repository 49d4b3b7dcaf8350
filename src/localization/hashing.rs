//! Stable content hashing for change detection.

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Returns the 64-bit FNV-1a digest of the UTF-8 bytes of `text` as 16 lowercase hex chars.
///
/// Used to notice that a source string changed since it was translated; it is stable across
/// runs, platforms and versions, but it is not a cryptographic hash (not for security).
pub fn source_hash(text: &str) -> String {
    let mut hash = FNV_OFFSET_BASIS;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::source_hash;

    #[test]
    fn known_vectors() {
        assert_eq!(source_hash(""), "cbf29ce484222325");
        assert_eq!(source_hash("a"), "af63dc4c8601ec8c");
        assert_eq!(source_hash("foobar"), "85944171f73967e8");
    }

    #[test]
    fn distinguishes_and_is_fixed_width() {
        assert_ne!(source_hash("Hello"), source_hash("Hello "));
        for s in ["", "x", "a much longer text with ünïcode ✓"] {
            let h = source_hash(s);
            assert_eq!(h.len(), 16);
            assert!(
                h.chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            );
        }
    }
}
