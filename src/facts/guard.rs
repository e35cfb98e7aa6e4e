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
/// longer than [`MAX_WORD`] characters? Conservative: `<<` in a string or after code on a
/// line counts too (the scanner decides by context, this does not); only lines that are a
/// comment from their start are passed over.
fn long_heredoc_word(src: &str) -> bool {
    let b = src.as_bytes();
    let mut from = 0;
    // The line of the last `<<` and whether it is a comment line, kept as the search moves
    // on (linear in the file, whatever its lines).
    let mut seen = 0;
    let mut comment = comment_line(b, 0);
    while let Some(k) = find(b, from, b"<<") {
        from = k + 2;
        if let Some(p) = b[seen..k].iter().rposition(|&c| c == b'\n' || c == b'\r') {
            comment = comment_line(b, seen + p + 1);
        }
        seen = k;
        if comment {
            continue;
        }
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

/// Is the line starting at byte `start` a comment from its first non-blank character
/// (`# ...`, not the interpolation `#{`)? In code such a line is a comment; in a string or
/// heredoc body it is text; the scanner reads no heredoc start in either.
fn comment_line(b: &[u8], start: usize) -> bool {
    let rest = &b[start..];
    let first = rest.iter().position(|c| !matches!(c, b' ' | b'\t'));
    first.is_some_and(|f| rest[f] == b'#' && rest.get(f + 1) != Some(&b'{'))
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
        // A comment line is not code: the scanner reads no heredoc there.
        let word = "A".repeat(300);
        assert!(!long_heredoc_word(&format!(
            "  # the `<<{word}` operator\nx = 1\n"
        )));
        assert!(long_heredoc_word(&format!("x = 1 # note\ny = <<{word}\n")));
        // Interpolation at the start of a line is code.
        assert!(long_heredoc_word(&format!("s = \"\n#{{<<{word}\n")));
        assert_eq!(hazard(Lang::Python, &bare(300)), None);
    }
}
