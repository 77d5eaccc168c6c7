//! Email addresses: one canonical spelling, its parts, and a syntax validity flag.

use email_address::{EmailAddress, Options};
use serde::Serialize;

use super::NormalizeOptions;

/// An email address split for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailParts {
    /// `local@domain`, lower case, with an ASCII (punycode) domain.
    pub canonical: String,
    /// The part before the last `@` (the whole value when there is no `@`).
    pub local: String,
    /// The part after the last `@`, empty when there is none.
    pub domain: String,
    /// Whether `canonical` is a syntactically valid address with a dotted domain.
    pub valid: bool,
}

/// Providers that deliver `local+tag@domain` to `local@domain`.
const PLUS_TAG_DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "outlook.fr",
    "hotmail.com",
    "hotmail.fr",
    "live.com",
    "live.fr",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "protonmail.com",
    "proton.me",
    "pm.me",
    "fastmail.com",
    "fastmail.fm",
];

/// Whether a value was masked by the system that exported it (`jan***@example.com`,
/// `06 ** ** 12 34`, `j•••@x.fr`): what is left cannot be compared with the full value, so it
/// counts as missing rather than as a disagreement.
#[must_use]
pub fn is_masked(value: &str) -> bool {
    value.contains("**") || value.contains('•')
}

/// Split and canonicalise an email address; `None` when nothing is left (or when masked).
///
/// Trims spaces, quotes and a `mailto:` prefix, takes the address out of `Name <address>` and
/// the first of several addresses (`a@x.fr; b@y.fr`), lower-cases, and encodes an international
/// domain with IDNA. With [`NormalizeOptions::email_provider_rules`], Gmail dots and `+tags` of
/// the big providers are dropped and `googlemail.com` becomes `gmail.com`.
#[must_use]
pub fn email_parts(value: &str, opts: &NormalizeOptions) -> Option<EmailParts> {
    if is_masked(value) {
        return None;
    }
    let cleaned = lower_without_spaces(address_text(value));
    if cleaned.is_empty() {
        return None;
    }
    let Some(at) = cleaned.rfind('@') else {
        return Some(EmailParts {
            canonical: cleaned.clone(),
            local: cleaned,
            domain: String::new(),
            valid: false,
        });
    };
    let mut local = cleaned[..at].to_owned();
    let mut domain = cleaned[at + 1..].trim_matches('.').to_owned();
    let mut idna_ok = true;
    if !domain.is_ascii() {
        match idna::domain_to_ascii(&domain) {
            // Compatibility mapping can bring spaces back (`¨` → ` ̈`); such a domain stays
            // as typed and is invalid.
            Ok(ascii) if ascii.bytes().all(|b| b.is_ascii_graphic()) => domain = ascii,
            _ => idna_ok = false,
        }
    }
    if opts.email_provider_rules {
        apply_provider_rules(&mut local, &mut domain);
    }
    let canonical = format!("{local}@{domain}");
    let valid = idna_ok
        && !local.is_empty()
        && domain.contains('.')
        && EmailAddress::parse_with_options(
            &canonical,
            Options::default()
                .with_minimum_sub_domains(2)
                .without_domain_literal()
                .without_display_text(),
        )
        .is_ok();
    Some(EmailParts {
        canonical,
        local,
        domain,
        valid,
    })
}

/// The address in `value`: without a `mailto:` prefix, out of `Name <address>`, the first of
/// several (`a@x.fr; b@y.fr`), and without surrounding quotes, brackets and punctuation.
fn address_text(value: &str) -> &str {
    let mut s = value.trim();
    if s.len() >= 7 && s.is_char_boundary(7) && s[..7].eq_ignore_ascii_case("mailto:") {
        s = &s[7..];
    }
    if let (Some(open), Some(close)) = (s.rfind('<'), s.rfind('>'))
        && open < close
    {
        s = &s[open + 1..close];
    }
    if let Some(first) = s
        .split([';', ','])
        .map(str::trim)
        .find(|part| !part.is_empty())
    {
        s = first;
    }
    s.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\'' | '(' | ')' | '[' | ']' | '<' | '>' | '.' | ':'
            )
    })
}

/// `s` lower-cased, without white space.
fn lower_without_spaces(s: &str) -> String {
    let mut cleaned = String::with_capacity(s.len());
    if s.is_ascii() {
        cleaned.extend(
            s.chars()
                .filter(|c| !c.is_ascii_whitespace())
                .map(|c| c.to_ascii_lowercase()),
        );
    } else {
        cleaned.extend(
            s.chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_lowercase),
        );
    }
    cleaned
}

fn apply_provider_rules(local: &mut String, domain: &mut String) {
    if domain == "googlemail.com" {
        "gmail.com".clone_into(domain);
    }
    if PLUS_TAG_DOMAINS.contains(&domain.as_str())
        && let Some(plus) = local.find('+')
        && plus > 0
    {
        local.truncate(plus);
    }
    if domain == "gmail.com" && local.contains('.') {
        local.retain(|c| c != '.');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(value: &str, rules: bool) -> Option<(String, bool)> {
        let opts = NormalizeOptions {
            email_provider_rules: rules,
            ..NormalizeOptions::default()
        };
        email_parts(value, &opts).map(|p| (p.canonical, p.valid))
    }

    #[test]
    fn messy_emails() {
        let cases: &[(&str, Option<(&str, bool)>)] = &[
            ("  J.Dupont@Gmail.COM ", Some(("j.dupont@gmail.com", true))),
            (
                "jean.dupont@orange.fr",
                Some(("jean.dupont@orange.fr", true)),
            ),
            (
                "JEAN.DUPONT@ORANGE.FR",
                Some(("jean.dupont@orange.fr", true)),
            ),
            ("mailto:jean@free.fr", Some(("jean@free.fr", true))),
            ("MAILTO:jean@free.fr", Some(("jean@free.fr", true))),
            (
                "Jean Dupont <jean.dupont@sfr.fr>",
                Some(("jean.dupont@sfr.fr", true)),
            ),
            ("<jean@laposte.net>", Some(("jean@laposte.net", true))),
            (
                "jean@laposte.net; marie@laposte.net",
                Some(("jean@laposte.net", true)),
            ),
            (
                "jean@laposte.net, marie@laposte.net",
                Some(("jean@laposte.net", true)),
            ),
            ("jean @ wanadoo.fr", Some(("jean@wanadoo.fr", true))),
            ("\"jean@wanadoo.fr\"", Some(("jean@wanadoo.fr", true))),
            ("jean@wanadoo.fr.", Some(("jean@wanadoo.fr", true))),
            ("josé@café.fr", Some(("josé@xn--caf-dma.fr", true))),
            ("info@münchen.de", Some(("info@xn--mnchen-3ya.de", true))),
            ("jean.dupont", Some(("jean.dupont", false))),
            ("jean@localhost", Some(("jean@localhost", false))),
            ("@orange.fr", Some(("@orange.fr", false))),
            ("jean@@orange.fr", Some(("jean@@orange.fr", false))),
            (
                "jean..dupont@orange.fr",
                Some(("jean..dupont@orange.fr", false)),
            ),
            ("jean+crm@orange.fr", Some(("jean+crm@orange.fr", true))),
            ("n/a", Some(("n/a", false))),
            ("   ", None),
            ("<>", None),
            ("", None),
        ];
        for (raw, want) in cases {
            let got = canonical(raw, false);
            let want = want.map(|(c, v)| (c.to_owned(), v));
            assert_eq!(got, want, "{raw:?}");
        }
    }

    #[test]
    fn provider_rules_only_when_asked() {
        let cases = [
            ("J.Dupont+promo@Gmail.com", "jdupont@gmail.com"),
            ("j.dupont@googlemail.com", "jdupont@gmail.com"),
            ("jean.dupont+news@hotmail.fr", "jean.dupont@hotmail.fr"),
            ("jean.dupont+news@orange.fr", "jean.dupont+news@orange.fr"),
            ("+tag@gmail.com", "+tag@gmail.com"),
        ];
        for (raw, want) in cases {
            assert_eq!(
                canonical(raw, true).map(|c| c.0).as_deref(),
                Some(want),
                "{raw}"
            );
        }
        assert_eq!(
            canonical("j.dupont+x@gmail.com", false)
                .map(|c| c.0)
                .as_deref(),
            Some("j.dupont+x@gmail.com")
        );
    }

    #[test]
    fn parts_are_separate() {
        let parts = email_parts("Jean.Dupont@Orange.fr", &NormalizeOptions::default());
        let parts = parts.expect("an address");
        assert_eq!(
            (parts.local.as_str(), parts.domain.as_str()),
            ("jean.dupont", "orange.fr")
        );
    }
}
