//! Input a grammar's C code cannot take: it stops the whole process (a failed `assert`)
//! instead of returning an error, so it is recognised before parsing and the file skipped.
//!
//! tree-sitter-ruby's scanner saves a heredoc's delimiter with its length in one byte and
//! asserts on reading it back: a delimiter of 256 or more characters (`<<~'...'` whose
//! quoted word runs on, or a very long bare word) aborts. Found by fuzzing.

use crate::lang::Lang;

/// Why `src` must not be parsed, if so.
pub(crate) fn hazard(lang: Lang, src: &str) -> Option<&'static str> {
    match lang {
        Lang::Ruby if long_heredoc_word(src) => {
            Some("a heredoc delimiter of 256 or more characters (the Ruby grammar aborts on it)")
        }
        _ => None,
    }
}

/// The scanner's limit: the delimiter's length in characters must fit in a byte.
const MAX_WORD: usize = 255;

/// Is there a `<<`, `<<~` or `<<-` followed by a delimiter word the scanner would read as
/// longer than [`MAX_WORD`] characters? Conservative: `<<` in a comment or a string counts
/// too (the scanner decides by context, this does not).
fn long_heredoc_word(src: &str) -> bool {
    let b = src.as_bytes();
    let mut from = 0;
    while let Some(k) = find(b, from, b"<<") {
        from = k + 2;
        let mut i = k + 2;
        if matches!(b.get(i), Some(b'~' | b'-')) {
            i += 1;
        }
        let Some(&c) = b.get(i) else { break };
        let rest = src.get(i..).unwrap_or("");
        let n = if matches!(c, b'\'' | b'"' | b'`') {
            // A quoted word: everything up to the same quote, line breaks included.
            rest.chars()
                .skip(1)
                .take_while(|&ch| ch != c as char)
                .take(MAX_WORD + 1)
                .count()
        } else {
            rest.chars()
                .take_while(|&ch| ch.is_alphanumeric() || ch == '_')
                .take(MAX_WORD + 1)
                .count()
        };
        if n > MAX_WORD {
            return true;
        }
    }
    false
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_heredoc_words_are_recognised() {
        let bare = |n: usize| format!("x = <<~{w}\n  hi\n{w}\n", w = "A".repeat(n));
        assert!(!long_heredoc_word(&bare(255)));
        assert!(long_heredoc_word(&bare(256)));
        let quoted = |n: usize| format!("x = <<-'{}'\n", "é".repeat(n));
        assert!(!long_heredoc_word(&quoted(255)));
        assert!(long_heredoc_word(&quoted(256)));
        // An opening quote that never closes runs to the end of the file.
        assert!(long_heredoc_word(&format!(
            "q(<<~'S\n{}",
            "x\n".repeat(200)
        )));
        assert!(!long_heredoc_word(
            "a << b\nsql = <<~SQL\n  SELECT 1\nSQL\n"
        ));
        assert!(!long_heredoc_word("x <<"));
        assert_eq!(hazard(Lang::Python, &bare(300)), None);
    }
}
