//! Blocking keys: parsed key expressions (`last_name`, `first_name[:1]`, `initials(company)`)
//! and the per-row key hash of a rule (0 when a row has no key).

use std::hash::Hasher;

use rayon::prelude::*;
use rustc_hash::FxHasher;

use crate::column::{CodedColumn, NULL};

/// A transformation of one normalised value into a key part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFn {
    /// The whole value.
    Value,
    /// First letter of every word.
    Initials,
    /// First word.
    FirstToken,
    /// Last word.
    LastToken,
    /// Words sorted, so `jean pierre` and `pierre jean` share a key. When every key of a rule
    /// is of this kind, the keys are also taken in any order: `sorted_tokens(first_name),
    /// sorted_tokens(last_name)` gives `Barnaby Siggins` and `Siggins Barnaby` one key.
    SortedTokens,
    /// Digits only.
    Digits,
    /// The part of an email before `@`.
    EmailLocal,
    /// The part of an email after `@`.
    EmailDomain,
    /// French phonetic key (see [`crate::normalize::phonetic_fr`]).
    Phonetic,
    /// Primary Double Metaphone code, for names that are not French.
    Metaphone,
}

impl KeyFn {
    const NAMES: [(&'static str, KeyFn); 9] = [
        ("phonetic", KeyFn::Phonetic),
        ("metaphone", KeyFn::Metaphone),
        ("initials", KeyFn::Initials),
        ("first_token", KeyFn::FirstToken),
        ("last_token", KeyFn::LastToken),
        ("sorted_tokens", KeyFn::SortedTokens),
        ("digits", KeyFn::Digits),
        ("email_local", KeyFn::EmailLocal),
        ("email_domain", KeyFn::EmailDomain),
    ];

    fn apply(self, value: &str) -> Option<String> {
        let out = match self {
            Self::Value => value.to_owned(),
            Self::Initials => value
                .split_whitespace()
                .filter_map(|w| w.chars().next())
                .collect(),
            Self::FirstToken => value.split_whitespace().next()?.to_owned(),
            Self::LastToken => value.split_whitespace().next_back()?.to_owned(),
            Self::SortedTokens => {
                let mut words: Vec<&str> = value.split_whitespace().collect();
                words.sort_unstable();
                words.join(" ")
            }
            Self::Digits => value.chars().filter(char::is_ascii_digit).collect(),
            Self::EmailLocal => value.rsplit_once('@')?.0.to_owned(),
            Self::EmailDomain => value.rsplit_once('@')?.1.to_owned(),
            Self::Phonetic => crate::normalize::phonetic_fr(value),
            Self::Metaphone => crate::normalize::double_metaphone(value).0,
        };
        if out.is_empty() { None } else { Some(out) }
    }
}

/// One parsed key expression: `fn(column)[slice]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyExpr {
    /// Source column.
    pub column: String,
    /// Transformation of the normalised value.
    pub func: KeyFn,
    /// Keep the first `n` characters (`[:n]`, positive) or the last `n` (`[-n:]`, negative).
    pub slice: Option<i32>,
}

impl KeyExpr {
    /// Parse `column`, `column[:n]`, `column[-n:]`, `fn(column)` or `fn(column)[:n]`.
    ///
    /// # Errors
    /// A message saying what was expected.
    pub fn parse(expr: &str) -> Result<Self, String> {
        let s = expr.trim();
        let (body, slice) = match s.strip_suffix(']').and_then(|t| t.rsplit_once('[')) {
            Some((body, inner)) => (body, Some(parse_slice(inner).ok_or_else(|| {
                format!("`{expr}`: a slice is `[:n]` (first n characters) or `[-n:]` (last n), with n >= 1")
            })?)),
            None => (s, None),
        };
        let body = body.trim();
        let (func, column) = match body.strip_suffix(')').and_then(|t| t.split_once('(')) {
            Some((name, col)) => {
                let func = Self::lookup(name.trim()).ok_or_else(|| {
                    let known: Vec<&str> = KeyFn::NAMES.iter().map(|(n, _)| *n).collect();
                    format!(
                        "unknown function `{}` in `{expr}` (known: {})",
                        name.trim(),
                        known.join(", ")
                    )
                })?;
                (func, col.trim())
            }
            None => (KeyFn::Value, body.trim()),
        };
        if column.is_empty() || column.contains(['(', ')', '[', ']']) {
            return Err(format!("`{expr}` does not name a column"));
        }
        Ok(Self {
            column: column.to_owned(),
            func,
            slice,
        })
    }

    fn lookup(name: &str) -> Option<KeyFn> {
        KeyFn::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
    }

    /// The key part of one normalised value.
    #[must_use]
    pub fn apply(&self, value: &str) -> Option<String> {
        let v = self.func.apply(value)?;
        match self.slice {
            None => Some(v),
            Some(n) if n > 0 => Some(v.chars().take(n as usize).collect()),
            Some(n) => {
                let count = v.chars().count();
                Some(
                    v.chars()
                        .skip(count.saturating_sub(n.unsigned_abs() as usize))
                        .collect(),
                )
            }
        }
    }
}

fn parse_slice(inner: &str) -> Option<i32> {
    let inner = inner.trim();
    let n: i32 = if let Some(n) = inner.strip_prefix(':') {
        n.trim().parse().ok()?
    } else {
        -inner
            .strip_suffix(':')?
            .trim()
            .strip_prefix('-')?
            .trim()
            .parse::<i32>()
            .ok()?
    };
    (n != 0).then_some(n)
}

fn mix(h: u64, x: u64) -> u64 {
    (h.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

/// Key hash of every row for one rule; `parts[k]` is the coded column of key `k`.
pub(crate) fn rule_keys(exprs: &[KeyExpr], parts: &[&CodedColumn], n: usize) -> Vec<u64> {
    let tables: Vec<Vec<u64>> = exprs
        .iter()
        .zip(parts)
        .map(|(expr, col)| {
            col.values
                .par_iter()
                .map(|v| {
                    expr.apply(v).map_or(0, |k| {
                        let mut h = FxHasher::default();
                        h.write(k.as_bytes());
                        h.finish() | 1
                    })
                })
                .collect()
        })
        .collect();
    let any_order = exprs.len() > 1 && exprs.iter().all(|e| e.func == KeyFn::SortedTokens);
    (0..n)
        .into_par_iter()
        .with_min_len(4096)
        .map(|row| {
            let mut own = [0u64; 8];
            let mut h = 0x9e37_79b9_7f4a_7c15_u64;
            for (k, (col, table)) in parts.iter().zip(&tables).enumerate() {
                let code = col.codes[row];
                if code == NULL {
                    return 0;
                }
                let part = table[code as usize];
                if part == 0 {
                    return 0;
                }
                if any_order && k < own.len() {
                    own[k] = part;
                } else {
                    h = mix(h, part);
                }
            }
            if any_order {
                let used = &mut own[..parts.len().min(8)];
                used.sort_unstable();
                for part in used.iter() {
                    h = mix(h, *part);
                }
            }
            h | 1
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_key_expressions() {
        let k = KeyExpr::parse("first_name[:1]").unwrap();
        assert_eq!(
            (k.column.as_str(), k.func, k.slice),
            ("first_name", KeyFn::Value, Some(1))
        );
        let k = KeyExpr::parse(" initials(company) [-2:]").unwrap();
        assert_eq!(
            (k.column.as_str(), k.func, k.slice),
            ("company", KeyFn::Initials, Some(-2))
        );
        assert!(KeyExpr::parse("x[:0]").is_err());
        assert!(
            KeyExpr::parse("soundex(x)")
                .unwrap_err()
                .contains("unknown function `soundex`")
        );
        assert!(KeyExpr::parse("()").is_err());
        assert_eq!(
            KeyExpr::parse("x[-3:]").unwrap().apply("martin").as_deref(),
            Some("tin")
        );
        assert_eq!(
            KeyExpr::parse("sorted_tokens(x)")
                .unwrap()
                .apply("b a")
                .as_deref(),
            Some("a b")
        );
    }

    #[test]
    fn sorted_token_keys_of_a_rule_are_taken_in_any_order() {
        use arrow_array::StringViewArray;
        let enc =
            |v: Vec<&str>| CodedColumn::encode(&StringViewArray::from(v), |s| Some(s.to_owned()));
        let first = enc(vec!["barnaby", "siggins", "barnaby"]);
        let last = enc(vec!["siggins", "barnaby", "jones"]);
        let any = [
            KeyExpr::parse("sorted_tokens(first)").unwrap(),
            KeyExpr::parse("sorted_tokens(last)").unwrap(),
        ];
        let keys = rule_keys(&any, &[&first, &last], 3);
        assert_eq!(keys[0], keys[1]);
        assert_ne!(keys[0], keys[2]);
        let plain = [
            KeyExpr::parse("first").unwrap(),
            KeyExpr::parse("last").unwrap(),
        ];
        let keys = rule_keys(&plain, &[&first, &last], 3);
        assert_ne!(keys[0], keys[1]);
    }
}
