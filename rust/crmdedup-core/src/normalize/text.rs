//! Accent, ligature and case folding shared by every text-like normaliser.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Fold `value` to lower-case ASCII words separated by single spaces.
///
/// Accents are dropped (é→e), ligatures and special letters expanded (œ→oe, æ→ae, ß→ss, ø→o,
/// ł→l, anything else through `deunicode`), and every run of punctuation or whitespace becomes one
/// space. Apostrophes and hyphens are word breaks too, so `O'Brien` gives `o brien`.
#[must_use]
pub fn fold_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    fold_text_into(value, &mut out);
    out
}

/// Like [`fold_text`], appending into `out` (which is cleared first) to reuse its allocation.
pub fn fold_text_into(value: &str, out: &mut String) {
    out.clear();
    let mut pending_space = false;
    let mut push = |c: char, out: &mut String| {
        if c.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_space = true;
        }
    };
    if value.is_ascii() {
        for c in value.chars() {
            push(c, out);
        }
        return;
    }
    let mut buf = [0u8; 4];
    for c in value.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_ascii() {
            push(c, out);
            continue;
        }
        let expanded: &str = match c {
            'œ' | 'Œ' => "oe",
            'æ' | 'Æ' => "ae",
            'ß' | 'ẞ' => "ss",
            'ø' | 'Ø' => "o",
            'ł' | 'Ł' => "l",
            'đ' | 'Đ' => "d",
            'þ' | 'Þ' => "th",
            '\u{2019}' | '\u{2018}' | '\u{02bc}' => "'",
            _ if c.is_alphanumeric() => deunicode::deunicode_char(c).unwrap_or(""),
            _ => c.encode_utf8(&mut buf),
        };
        for e in expanded.chars() {
            push(e, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fold_text;

    #[test]
    fn folds_accents_ligatures_and_punctuation() {
        let cases = [
            ("Lefèvre", "lefevre"),
            ("LEFEVRE", "lefevre"),
            ("Œuvre", "oeuvre"),
            ("Straße", "strasse"),
            ("Søren  Łukasz", "soren lukasz"),
            ("Jean-Pierre", "jean pierre"),
            ("O’Brien", "o brien"),
            ("  François   ", "francois"),
            ("Ærø", "aero"),
            ("Đorđe", "dorde"),
            ("", ""),
            ("***", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(fold_text(raw), want, "{raw:?}");
        }
    }
}
