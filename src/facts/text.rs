//! Small text helpers shared by extraction and reports.

/// 64-bit FNV-1a: stable across platforms and releases (baselines and fingerprints are
/// stored in files, so the hash must never change).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Hash of a code fragment with all whitespace removed, so reformatting does not change it.
pub fn normalised_hash(text: &str) -> u64 {
    // `fnv1a` of the text without its whitespace, folded as it goes (no copy: a call's text
    // holds every call nested in it).
    text.bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn whitespace_does_not_change_the_hash() {
        assert_eq!(
            normalised_hash("f(a, b)"),
            normalised_hash("f(\n  a,\n  b\n)")
        );
        assert_ne!(normalised_hash("f(a, b)"), normalised_hash("f(b, a)"));
        assert_eq!(normalised_hash(" f(a,\tb)\n"), fnv1a(b"f(a,b)"));
    }
}
