//! Email texts whose arguments are only placed (`Hej { $name },`: text and variables, no
//! selector, function or term), read from `locales/*/email.ftl` once into their pieces and
//! filled in without fluent: an email takes six such texts each time it is rendered, and
//! fluent's lookup with arguments (a map of owned arguments, the language negotiated, the
//! pattern resolved) was a fifth of rendering in a dispatch's profile. Any other text, or a
//! text an argument of which is not given, is left to fluent (`None`); a test checks that
//! every text taken here reads exactly as fluent writes it.

use std::collections::HashMap;
use std::sync::LazyLock;

use fluent_syntax::ast::{Entry, Expression, InlineExpression, PatternElement};
use provisio_domain::Locale;

enum Piece {
    Text(&'static str),
    Arg(&'static str),
}

type Texts = HashMap<&'static str, Vec<Piece>>;

static EN: LazyLock<Texts> =
    LazyLock::new(|| pieces(include_str!("../../../../locales/en/email.ftl")));
static SV: LazyLock<Texts> =
    LazyLock::new(|| pieces(include_str!("../../../../locales/sv/email.ftl")));

fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::En => &EN,
        Locale::Sv => &SV,
    }
}

/// Every message of `source` made of text and variables only, as its pieces. A file that does
/// not parse gives none (fluent then formats, and reports, every text).
fn pieces(source: &'static str) -> Texts {
    let Ok(resource) = fluent_syntax::parser::parse(source) else {
        return Texts::new();
    };
    let mut texts = Texts::new();
    for entry in resource.body {
        let Entry::Message(message) = entry else {
            continue;
        };
        let Some(pattern) = message.value else {
            continue;
        };
        let pieces: Option<Vec<Piece>> = pattern
            .elements
            .into_iter()
            .map(|element| match element {
                PatternElement::TextElement { value } => Some(Piece::Text(value)),
                PatternElement::Placeable {
                    expression: Expression::Inline(InlineExpression::VariableReference { id }),
                } => Some(Piece::Arg(id.name)),
                PatternElement::Placeable { .. } => None,
            })
            .collect();
        if let Some(pieces) = pieces {
            texts.insert(message.id.name, pieces);
        }
    }
    texts
}

/// The text for `key` in `locale` with `args` placed; `None` when fluent must format it.
pub(super) fn text(locale: Locale, key: &str, args: &[(&str, &str)]) -> Option<String> {
    let pieces = texts(locale).get(key)?;
    let mut values = Vec::with_capacity(pieces.len());
    for piece in pieces {
        values.push(match piece {
            Piece::Text(text) => *text,
            Piece::Arg(name) => args.iter().find(|(n, _)| n == name)?.1,
        });
    }
    Some(values.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_taken_here_reads_as_fluent_writes_it() {
        for locale in Locale::ALL {
            let texts = texts(locale);
            assert!(texts.len() > 20, "{locale}: {}", texts.len());
            for (key, pieces) in texts {
                let names: Vec<&str> = pieces
                    .iter()
                    .filter_map(|p| match p {
                        Piece::Arg(name) => Some(*name),
                        Piece::Text(_) => None,
                    })
                    .collect();
                let values: Vec<String> = names.iter().map(|n| format!("«{n} å»")).collect();
                let args: Vec<(&str, &str)> = names
                    .iter()
                    .zip(&values)
                    .map(|(n, v)| (*n, v.as_str()))
                    .collect();
                assert_eq!(
                    text(locale, key, &args),
                    super::super::fluent_text(locale, key, &args),
                    "{locale} {key}"
                );
            }
        }
    }

    #[test]
    fn a_text_with_an_argument_missing_is_left_to_fluent() {
        assert!(text(Locale::Sv, "email-greeting-named", &[("name", "Kim")]).is_some());
        assert_eq!(text(Locale::Sv, "email-greeting-named", &[]), None);
        assert_eq!(text(Locale::En, "email-no-such-key", &[]), None);
    }
}
