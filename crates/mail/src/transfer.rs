//! The Content-Transfer-Encoding of a text or HTML part, chosen so that a link survives a
//! copy from the raw message: no soft line break ever falls inside a word (a URL is one
//! word).
//!
//! lettre's own choice quoted-printable-encodes any text with a line of 76 characters or
//! more and breaks it every 76 characters, mid-URL: a setup link (`https://…/setup/` and a
//! 43-character token) always was. Here a part that is ASCII with lines of at most 998
//! octets (RFC 5322's limit) goes out as it is, `7bit`; any other part (Swedish text) is
//! quoted-printable, broken only between words. A word longer than a line (a long URL) stays
//! whole on a longer line; only a word beyond the 998-octet limit is split. Everything stays
//! 7-bit, so no relay needs 8BITMIME.

use lettre::message::header::ContentTransferEncoding;

/// The longest line SMTP carries, without its CRLF (RFC 5322 §2.1.1).
const MAX_LINE: usize = 998;
/// The longest quoted-printable line before its soft break `=` (RFC 2045 §6.7: 76 in all).
const QP_LINE: usize = 75;

/// `text` (lines ending in `\n` or `\r\n`) as it goes on the wire, CRLF line ends, with the
/// encoding that says how. This runs twice for every email (text and HTML part), so it makes
/// one pass over the octets for the choice and one to write, without a string per line or
/// per word.
pub(crate) fn encode(text: &str) -> (Vec<u8>, ContentTransferEncoding) {
    if is_plain(text) {
        // Each line end may grow by its CR.
        let mut out = Vec::with_capacity(text.len() + text.len() / 16);
        for (i, line) in lines(text).enumerate() {
            if i > 0 {
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(line);
        }
        return (out, ContentTransferEncoding::SevenBit);
    }
    // HTML escapes each `=` of its attributes (`=3D`) and a Swedish letter takes six octets.
    let mut out = Vec::with_capacity(text.len() + text.len() / 2);
    for (i, line) in lines(text).enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n");
        }
        quoted_printable_line(line, &mut out);
    }
    (out, ContentTransferEncoding::QuotedPrintable)
}

/// The lines of `text` without their `\n` or `\r\n` (found by `memchr`: a `char` pattern).
fn lines(text: &str) -> impl Iterator<Item = &[u8]> {
    text.split('\n').map(|l| {
        let l = l.as_bytes();
        l.strip_suffix(b"\r").unwrap_or(l)
    })
}

/// Printable ASCII and tabs only, no line longer than SMTP carries: goes as it is. Each line
/// is checked whole, without stopping at the first odd octet, which the compiler turns into
/// a check of many octets at once (the English parts, the common case, are all plain).
fn is_plain(text: &str) -> bool {
    lines(text).all(|l| {
        l.len() <= MAX_LINE
            && l.iter().fold(true, |plain, &b| {
                plain & ((b' '..=b'~').contains(&b) | (b == b'\t'))
            })
    })
}

/// One line, quoted-printable, with soft breaks only where a word ends. Each piece is
/// encoded straight into `out`; when it does not fit the line, the soft break is put in
/// front of it (a few octets moved, once a line).
fn quoted_printable_line(line: &[u8], out: &mut Vec<u8>) {
    // Whitespace at the very end of the line is encoded, or a relay may strip it.
    let keep = line.len() - line.iter().rev().take_while(|&&b| is_blank(b)).count();
    let mut width = 0;
    let mut start = 0;
    while start < line.len() {
        let end = piece_end(line, start);
        let at = out.len();
        let (kept, trailing) = line[start..end].split_at(keep.clamp(start, end) - start);
        push_literal_runs(kept, out);
        for &b in trailing {
            push_escaped(b, out);
        }
        let len = out.len() - at;
        if len >= MAX_LINE {
            // A single word beyond SMTP's limit is split between encoded octets.
            let encoded = out.split_off(at);
            if width > 0 {
                out.extend_from_slice(SOFT_BREAK);
            }
            width = split_word(&encoded, out);
        } else if width > 0 && width + len > QP_LINE {
            out.extend_from_slice(SOFT_BREAK);
            out.copy_within(at..at + len, at + SOFT_BREAK.len());
            out[at..at + SOFT_BREAK.len()].copy_from_slice(SOFT_BREAK);
            width = len;
        } else {
            width += len;
        }
        start = end;
    }
}

const SOFT_BREAK: &[u8] = b"=\r\n";

/// `bytes` quoted-printable within a line: each run of octets that stand for themselves copied
/// at once, the others escaped.
fn push_literal_runs(bytes: &[u8], out: &mut Vec<u8>) {
    let mut rest = bytes;
    loop {
        let run = rest
            .iter()
            .position(|&b| !LITERAL[usize::from(b)])
            .unwrap_or(rest.len());
        out.extend_from_slice(&rest[..run]);
        let Some((&odd, after)) = rest[run..].split_first() else {
            return;
        };
        push_escaped(odd, out);
        rest = after;
    }
}

/// An encoded word too long for one line, with soft breaks between its encoded octets
/// (never inside an `=XX`), from the start of a line; the width of its last line.
fn split_word(encoded: &[u8], out: &mut Vec<u8>) -> usize {
    let (mut i, mut width) = (0, 0);
    while i < encoded.len() {
        let n = if encoded[i] == b'=' { 3 } else { 1 };
        if width + n > QP_LINE {
            out.extend_from_slice(SOFT_BREAK);
            width = 0;
        }
        out.extend_from_slice(&encoded[i..i + n]);
        width += n;
        i += n;
    }
    width
}

/// Octets quoted-printable leaves as they are (but `=`): printable ASCII, spaces and tabs
/// inside a line.
const LITERAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b != b'=' as usize && ((b >= 0x21 && b <= 0x7e) || b == 0x20 || b == 0x09);
        b += 1;
    }
    table
};

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `=XX`.
fn push_escaped(b: u8, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0f)]]);
}

/// Where the piece of `line` from `start` ends: after its word and the run of spaces and
/// tabs behind it ("Set up by 2025" → "Set ", "up ", "by ", "2025"). A soft break goes
/// between two pieces, after the space.
fn piece_end(line: &[u8], start: usize) -> usize {
    let rest = &line[start..];
    let word_end = rest.iter().position(|&b| is_blank(b)).unwrap_or(rest.len());
    let blank_end = rest[word_end..]
        .iter()
        .position(|&b| !is_blank(b))
        .map_or(rest.len(), |n| word_end + n);
    start + blank_end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(encoded: &[u8]) -> String {
        let text = std::str::from_utf8(encoded).unwrap().replace("=\r\n", "");
        let mut out = Vec::new();
        let mut bytes = text.bytes();
        while let Some(b) = bytes.next() {
            if b == b'=' {
                let hex: String = [bytes.next().unwrap(), bytes.next().unwrap()]
                    .iter()
                    .map(|&b| char::from(b))
                    .collect();
                out.push(u8::from_str_radix(&hex, 16).unwrap());
            } else {
                out.push(b);
            }
        }
        String::from_utf8(out).unwrap()
    }

    const URL: &str =
        "https://provisio.example.com/setup/Qx3vT0cJ9mK2pL8wZ4nR7sY1bH6dF5gA0eU2iO9uXyz";

    #[test]
    fn ascii_goes_as_it_is_with_crlf_even_past_76_characters() {
        let text = format!("Hello,\n\nSet up here:\n{URL}\n");
        let (bytes, encoding) = encode(&text);
        assert_eq!(encoding, ContentTransferEncoding::SevenBit);
        assert_eq!(bytes, text.replace('\n', "\r\n").into_bytes());
    }

    #[test]
    fn other_text_is_quoted_printable_broken_only_between_words() {
        let long = "Om etableringen inte är slutförd senast 2025-03-21 09:00 Europe/Stockholm \
                    stängs orderraden; Partner AB kan fortfarande skicka etableringsmeddelandet \
                    igen. = ";
        let text = format!("Hej Kim,\r\n\n{long}\n{URL}\n");
        let (bytes, encoding) = encode(&text);
        assert_eq!(encoding, ContentTransferEncoding::QuotedPrintable);
        assert_eq!(
            decoded(&bytes),
            text.replace("\r\n", "\n").replace('\n', "\r\n")
        );
        let raw = String::from_utf8(bytes).unwrap();
        assert!(raw.split("\r\n").any(|l| l == URL), "{raw}");
        for line in raw.split("\r\n") {
            assert!(line.len() <= 76 || line == URL, "{line:?} in\n{raw}");
            // A soft break ends a word: the line before it ends in a space.
            if let Some(before) = line.strip_suffix('=') {
                assert!(before.ends_with(' '), "{line:?}");
            }
        }
        assert!(raw.contains("igen. =3D=20\r\n"), "{raw}");
    }

    #[test]
    fn a_word_beyond_the_smtp_limit_is_split_between_octets() {
        let word = "å".repeat(600);
        let (bytes, _) = encode(&word);
        let raw = String::from_utf8(bytes.clone()).unwrap();
        assert!(raw.split("\r\n").all(|l| l.len() <= 76), "{raw}");
        assert_eq!(decoded(&bytes), word);
    }

    proptest::proptest! {
        /// Whatever the text: it decodes to itself (CRLF line ends), every line fits SMTP,
        /// and a quoted-printable line is at most 76 octets unless it holds one word alone.
        #[test]
        fn any_text_survives_the_trip(text in "([a-zåäöÅ=é.]{0,12}[ \t]{0,2}){0,40}(\n|\r\n)?([a-z=]{0,1100})?") {
            let (bytes, encoding) = encode(&text);
            let expected = text.replace("\r\n", "\n").replace('\n', "\r\n");
            let raw = String::from_utf8(bytes.clone()).unwrap();
            if encoding == ContentTransferEncoding::SevenBit {
                proptest::prop_assert_eq!(&raw, &expected);
            } else {
                proptest::prop_assert_eq!(decoded(&bytes), expected);
            }
            for line in raw.split("\r\n") {
                proptest::prop_assert!(line.len() <= MAX_LINE, "{}", line.len());
                if encoding == ContentTransferEncoding::QuotedPrintable && line.len() > 76 {
                    let word = line.strip_suffix('=').unwrap_or(line).trim_end_matches([' ', '\t']);
                    proptest::prop_assert!(!word.contains([' ', '\t']), "{:?}", line);
                }
            }
        }
    }
}
