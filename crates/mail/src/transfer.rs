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
/// encoding that says how.
pub(crate) fn encode(text: &str) -> (Vec<u8>, ContentTransferEncoding) {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let plain = lines.iter().all(|l| {
        l.len() <= MAX_LINE && l.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    });
    if plain {
        return (
            lines.join("\r\n").into_bytes(),
            ContentTransferEncoding::SevenBit,
        );
    }
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        quoted_printable_line(line, &mut out);
    }
    (out.into_bytes(), ContentTransferEncoding::QuotedPrintable)
}

/// One line, quoted-printable, with soft breaks only where a word ends. Written straight
/// into `out`, a word's width counted first (no text is built per word: this runs for every
/// email, and per-word strings made each email measurably dearer).
fn quoted_printable_line(line: &str, out: &mut String) {
    let mut width = 0;
    let mut pieces = words(line).peekable();
    while let Some(piece) = pieces.next() {
        // Whitespace at the very end of the line is encoded, or a relay may strip it.
        let keep = if pieces.peek().is_none() {
            piece.trim_end_matches([' ', '\t']).len()
        } else {
            piece.len()
        };
        let literal = |i: usize, b: u8| i < keep && is_literal(b);
        let len: usize = piece
            .bytes()
            .enumerate()
            .map(|(i, b)| if literal(i, b) { 1 } else { 3 })
            .sum();
        if width > 0 && width + len > QP_LINE {
            out.push_str("=\r\n");
            width = 0;
        }
        // A single word beyond SMTP's limit is split between encoded octets.
        let split = len >= MAX_LINE;
        for (i, b) in piece.bytes().enumerate() {
            let n = if literal(i, b) { 1 } else { 3 };
            if split && width + n > QP_LINE {
                out.push_str("=\r\n");
                width = 0;
            }
            if n == 1 {
                out.push(char::from(b));
            } else {
                push_escaped(b, out);
            }
            width += n;
        }
    }
}

/// Octets quoted-printable leaves as they are (but `=`), spaces and tabs inside a line.
fn is_literal(b: u8) -> bool {
    b != b'=' && ((b'!'..=b'~').contains(&b) || b == b' ' || b == b'\t')
}

/// `=XX`.
fn push_escaped(b: u8, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('=');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0x0f)]));
}

/// A line cut after each run of spaces and tabs: "Set up by 2025" → "Set ", "up ", "by ",
/// "2025". A soft break goes between two pieces, after the space.
fn words(line: &str) -> impl Iterator<Item = &str> {
    let mut rest = line;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let word_end = rest.find([' ', '\t']).unwrap_or(rest.len());
        let end = rest[word_end..]
            .find(|c| c != ' ' && c != '\t')
            .map_or(rest.len(), |n| word_end + n);
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
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
}
