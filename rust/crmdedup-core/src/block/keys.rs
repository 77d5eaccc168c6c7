//! Blocking keys: parsed key expressions (`last_name`, `first_name[:1]`, `initials(company)`)
//! and the per-row key hash of a rule (0 when a row has no key), a specified hash
//! ([`key_hash`]) that other processes and later versions can recompute.

use rayon::prelude::*;

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
    /// Each word's canonical given name (see [`crate::normalize::canonical_given_name`]), so
    /// `tony` and `anthony`, `deb` and `deborah` share a key.
    Canonical,
}

impl KeyFn {
    const NAMES: [(&'static str, KeyFn); 10] = [
        ("phonetic", KeyFn::Phonetic),
        ("metaphone", KeyFn::Metaphone),
        ("initials", KeyFn::Initials),
        ("first_token", KeyFn::FirstToken),
        ("last_token", KeyFn::LastToken),
        ("sorted_tokens", KeyFn::SortedTokens),
        ("digits", KeyFn::Digits),
        ("email_local", KeyFn::EmailLocal),
        ("email_domain", KeyFn::EmailDomain),
        ("canonical", KeyFn::Canonical),
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
            Self::Canonical => crate::normalize::canonical_name(value),
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

/// Byte written after every key part: it never occurs in UTF-8, so the parts `("ab", "c")` and
/// `("a", "bc")` hash apart.
pub const KEY_PART_END: u8 = 0xFF;

/// The blocking key hash of one row under one rule: xxh3-64 with seed 0 over the UTF-8 bytes of
/// each key part followed by [`KEY_PART_END`], with the lowest bit then set (0 means "no key").
///
/// This is a stable contract (pinned by `tests/data/key_hashes.csv`): rows share a block
/// exactly when their key hashes are equal, in this process or any other.
#[must_use]
pub fn key_hash<'a>(parts: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut buf = Vec::new();
    for part in parts {
        push_part(&mut buf, part);
    }
    hash_parts(&buf)
}

fn push_part(buf: &mut Vec<u8>, part: &str) {
    buf.extend_from_slice(part.as_bytes());
    buf.push(KEY_PART_END);
}

fn hash_parts(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(bytes, 0) | 1
}

/// Key hash of every row for one rule; `parts[k]` is the coded column of key `k`.
pub(crate) fn rule_keys(exprs: &[KeyExpr], parts: &[&CodedColumn], n: usize) -> Vec<u64> {
    // Each key part of each distinct value, computed once (`None`: the value gives no key).
    let tables: Vec<Vec<Option<String>>> = exprs
        .iter()
        .zip(parts)
        .map(|(expr, col)| col.values.par_iter().map(|v| expr.apply(v)).collect())
        .collect();
    let part_of = |k: usize, row: usize| -> Option<&str> {
        let code = parts[k].codes[row];
        if code == NULL {
            return None;
        }
        tables[k][code as usize].as_deref()
    };
    if let [table] = tables.as_slice() {
        // One part: hash each distinct value once.
        let hashes: Vec<u64> = table
            .par_iter()
            .map(|p| p.as_deref().map_or(0, |p| key_hash([p])))
            .collect();
        return parts[0]
            .codes
            .par_iter()
            .with_min_len(4096)
            .map(|&c| if c == NULL { 0 } else { hashes[c as usize] })
            .collect();
    }
    // A rule made only of sorted name tokens (`sorted_tokens(first)`, `sorted_tokens(last)`)
    // takes its parts in any order, so that names written in each other's field share a key:
    // the parts are hashed in sorted order.
    let any_order = exprs.len() > 1 && exprs.iter().all(|e| e.func == KeyFn::SortedTokens);
    (0..n)
        .into_par_iter()
        .with_min_len(4096)
        .map_init(Vec::new, |buf, row| {
            buf.clear();
            let mut own: Vec<&str> = Vec::with_capacity(parts.len());
            for k in 0..parts.len() {
                match part_of(k, row) {
                    Some(p) => own.push(p),
                    None => return 0,
                }
            }
            if any_order {
                own.sort_unstable();
            }
            for p in own {
                push_part(buf, p);
            }
            hash_parts(buf)
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
        let canonical = KeyExpr::parse("canonical(first_name)").unwrap();
        assert_eq!(canonical.apply("tony"), canonical.apply("anthony"));
        assert_eq!(canonical.apply("deb"), canonical.apply("deborah"));
        assert_ne!(canonical.apply("tony"), canonical.apply("thomas"));
    }

    #[test]
    fn key_hashes_match_the_shared_vectors() {
        let text = include_str!("../../../../tests/data/key_hashes.csv");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("part_1,part_2,part_3,key_hash"));
        let mut n = 0;
        for line in lines {
            let fields: Vec<&str> = line.split(',').collect();
            let (parts, want) = fields.split_at(fields.len() - 1);
            let parts = parts.iter().copied().filter(|p| !p.is_empty());
            assert_eq!(key_hash(parts).to_string(), want[0], "{line}");
            n += 1;
        }
        assert!(n >= 10);
    }

    #[test]
    fn rule_keys_hash_the_key_parts_of_each_row() {
        use arrow_array::StringViewArray;
        let coded = |v: Vec<Option<&str>>| {
            CodedColumn::encode(&StringViewArray::from(v), |s| Some(s.to_owned()))
        };
        let last = coded(vec![Some("martin"), Some("martin"), None, Some("ab")]);
        let first = coded(vec![Some("jean"), Some("jeanne"), Some("x"), Some("c")]);
        let exprs = [
            KeyExpr::parse("last").unwrap(),
            KeyExpr::parse("first[:1]").unwrap(),
        ];
        let keys = rule_keys(&exprs, &[&last, &first], 4);
        assert_eq!(keys[0], key_hash(["martin", "j"]));
        assert_eq!(keys[0], keys[1]);
        assert_eq!(keys[2], 0, "a null part gives no key");
        assert_eq!(keys[3], key_hash(["ab", "c"]));
        assert_ne!(keys[3], key_hash(["a", "bc"]));
        let single = rule_keys(&exprs[..1], &[&last], 4);
        assert_eq!(
            single,
            vec![
                key_hash(["martin"]),
                key_hash(["martin"]),
                0,
                key_hash(["ab"])
            ]
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
