//! Blocking: candidate pairs are the rows that share a key under at least one rule.
//!
//! A key is built from normalised columns through small expressions (`last_name`,
//! `first_name[:1]`, `initials(company)`…). Blocks larger than the configured cap are not expanded
//! (a shared empty-ish value would otherwise produce billions of pairs); they are reported instead.

use std::hash::Hasher;

use rayon::prelude::*;
use rustc_hash::FxHasher;
use serde::Serialize;

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
    /// Words sorted, so `jean pierre` and `pierre jean` share a key.
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

/// A block that was too large to expand into pairs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SkippedBlock {
    /// Index of the rule.
    pub rule: usize,
    /// The shared key, parts joined by `|`.
    pub key: String,
    /// Rows sharing it.
    pub size: usize,
}

/// Per-rule key hashes of every row (0: no key) and the candidate pairs they produce.
#[derive(Debug, Default)]
pub struct Candidates {
    /// Unique pairs `(a << 32) | b` of row indices with `a < b`, rule by rule and block by
    /// block: a pair goes to the first rule that expands a block holding both rows. Grading
    /// in this order reads the few rows of one block many times, which keeps them in cache.
    pub pairs: Vec<u64>,
    /// Pairs each rule produced on its own (before the union).
    pub pairs_per_rule: Vec<u64>,
    /// Blocks over the size cap, largest first.
    pub skipped: Vec<SkippedBlock>,
    /// `row_keys[rule][row]`: the row's key hash under the rule, 0 when it has none.
    pub row_keys: Vec<Vec<u64>>,
}

/// Pack a pair of rows.
#[must_use]
pub fn pack(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// Unpack a pair of rows.
#[must_use]
pub fn unpack(p: u64) -> (u32, u32) {
    ((p >> 32) as u32, p as u32)
}

fn mix(h: u64, x: u64) -> u64 {
    (h.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

/// Key hash of every row for one rule; `parts[k]` is the coded column of key `k`.
fn rule_keys(exprs: &[KeyExpr], parts: &[&CodedColumn], n: usize) -> Vec<u64> {
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
    (0..n)
        .into_par_iter()
        .with_min_len(4096)
        .map(|row| {
            let mut h = 0x9e37_79b9_7f4a_7c15_u64;
            for (col, table) in parts.iter().zip(&tables) {
                let code = col.codes[row];
                if code == NULL {
                    return 0;
                }
                let part = table[code as usize];
                if part == 0 {
                    return 0;
                }
                h = mix(h, part);
            }
            h | 1
        })
        .collect()
}

/// Build candidate pairs for all rules.
///
/// `parts[rule][k]` is the coded column of key `k` of `rule`. With `split = Some(n_left)`, only
/// pairs with one row below `n_left` and one at or above it are produced (record linkage).
/// `on_rule` is called after each rule with its index (progress).
pub fn candidates(
    exprs: &[Vec<KeyExpr>],
    parts: &[Vec<&CodedColumn>],
    n: usize,
    max_block_size: usize,
    split: Option<usize>,
    mut on_rule: impl FnMut(usize) -> crate::error::Result<()>,
) -> crate::error::Result<Candidates> {
    let mut out = Candidates::default();
    // Per earlier rule, whether each row sits in a block that rule expanded into pairs.
    let mut expanded: Vec<Vec<bool>> = Vec::new();
    for (rule, (rule_exprs, rule_parts)) in exprs.iter().zip(parts).enumerate() {
        let keys = rule_keys(rule_exprs, rule_parts, n);
        let mut keyed: Vec<(u64, u32)> = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| **k != 0)
            .map(|(r, k)| (*k, r as u32))
            .collect();
        keyed.par_sort_unstable();
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        for i in 1..=keyed.len() {
            if i == keyed.len() || keyed[i].0 != keyed[start].0 {
                if i - start > 1 {
                    groups.push((start, i));
                }
                start = i;
            }
        }
        let (small, big): (Vec<_>, Vec<_>) = groups
            .into_iter()
            .partition(|(s, e)| e - s <= max_block_size);
        for (s, e) in big {
            let row = keyed[s].1 as usize;
            let key = rule_exprs
                .iter()
                .zip(rule_parts)
                .map(|(expr, col)| col.get(row).and_then(|v| expr.apply(v)).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("|");
            out.skipped.push(SkippedBlock {
                rule,
                key,
                size: e - s,
            });
        }
        let mut in_pairs = vec![false; n];
        for &(s, e) in &small {
            for &(_, row) in &keyed[s..e] {
                in_pairs[row as usize] = true;
            }
        }
        let earlier = &out.row_keys;
        let seen_before = |a: u32, b: u32| {
            earlier.iter().zip(&expanded).any(|(keys, exp)| {
                let (a, b) = (a as usize, b as usize);
                keys[a] != 0 && keys[a] == keys[b] && exp[a]
            })
        };
        // Pairs the rule makes on its own, before leaving out those of earlier rules.
        let produced: u64 = small
            .par_iter()
            .map(|&(s, e)| {
                let k = (e - s) as u64;
                match split {
                    Some(cut) => {
                        let left = keyed[s..e].iter().filter(|r| (r.1 as usize) < cut).count();
                        left as u64 * (k - left as u64)
                    }
                    None => k * (k - 1) / 2,
                }
            })
            .sum();
        let pairs: Vec<u64> = small
            .par_iter()
            .flat_map_iter(|&(s, e)| {
                let rows = &keyed[s..e];
                rows.iter().enumerate().flat_map(move |(i, &(_, a))| {
                    rows[i + 1..].iter().filter_map(move |&(_, b)| match split {
                        Some(cut) if (a as usize) < cut && (b as usize) < cut => None,
                        Some(cut) if (a as usize) >= cut && (b as usize) >= cut => None,
                        _ => (!seen_before(a, b)).then(|| pack(a, b)),
                    })
                })
            })
            .collect();
        out.pairs_per_rule.push(produced);
        out.pairs.extend(pairs);
        out.row_keys.push(keys);
        expanded.push(in_pairs);
        on_rule(rule)?;
    }
    out.skipped.sort_by(|a, b| {
        b.size
            .cmp(&a.size)
            .then(a.rule.cmp(&b.rule))
            .then(a.key.cmp(&b.key))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::CodedColumn;
    use arrow_array::StringViewArray;

    fn coded(values: &[Option<&str>]) -> CodedColumn {
        CodedColumn::encode(&StringViewArray::from(values.to_vec()), |s| {
            crate::normalize::normalize(crate::normalize::Normalizer::Text, s)
        })
    }

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
    fn pairs_are_the_union_of_rules_and_giant_blocks_are_skipped() {
        let last = coded(&[
            Some("martin"),
            Some("martin"),
            Some("dupont"),
            Some("x"),
            Some("x"),
            Some("x"),
            None,
        ]);
        let mail = coded(&[Some("a@x"), None, Some("a@x"), None, None, None, None]);
        let exprs = vec![
            vec![KeyExpr::parse("last").unwrap()],
            vec![KeyExpr::parse("mail").unwrap()],
        ];
        let parts = vec![vec![&last], vec![&mail]];
        let c = candidates(&exprs, &parts, 7, 2, None, |_| Ok(())).unwrap();
        assert_eq!(
            c.pairs.iter().map(|p| unpack(*p)).collect::<Vec<_>>(),
            vec![(0, 1), (0, 2)]
        );
        assert_eq!(
            c.skipped,
            vec![SkippedBlock {
                rule: 0,
                key: "x".into(),
                size: 3
            }]
        );
        assert_eq!(c.pairs_per_rule, vec![1, 1]);
        let linked = candidates(&exprs, &parts, 7, 10, Some(1), |_| Ok(())).unwrap();
        assert!(linked.pairs.iter().all(|p| unpack(*p).0 < 1));
    }

    proptest::proptest! {
        /// Each pair appears once, and the pairs are exactly the union over rules of the pairs
        /// of blocks within the size cap (the order is the only thing the union leaves free).
        #[test]
        fn pairs_are_the_union_of_the_rules_without_repeats(
            first in proptest::collection::vec(proptest::option::of(0u8..4), 1..40),
            second in proptest::collection::vec(proptest::option::of(0u8..3), 40),
            cap in 2usize..12,
            split in proptest::option::of(0usize..40),
        ) {
            let n = first.len();
            let split = split.map(|s| s.min(n));
            let as_text = |v: &[Option<u8>]| -> Vec<Option<String>> {
                v.iter().map(|x| x.map(|x| format!("v{x}"))).collect()
            };
            let (a, b) = (as_text(&first), as_text(&second[..n]));
            let a_col = coded(&a.iter().map(Option::as_deref).collect::<Vec<_>>());
            let b_col = coded(&b.iter().map(Option::as_deref).collect::<Vec<_>>());
            let exprs = vec![
                vec![KeyExpr::parse("a").unwrap()],
                vec![KeyExpr::parse("b").unwrap()],
                vec![KeyExpr::parse("a").unwrap(), KeyExpr::parse("b").unwrap()],
            ];
            let parts = vec![vec![&a_col], vec![&b_col], vec![&a_col, &b_col]];
            let c = candidates(&exprs, &parts, n, cap, split, |_| Ok(())).unwrap();
            let mut got: Vec<u64> = c.pairs.clone();
            got.sort_unstable();
            let len = got.len();
            got.dedup();
            proptest::prop_assert_eq!(len, got.len(), "a pair was produced twice");
            // The naive union.
            let key_of = |rule: usize, row: usize| -> Option<String> {
                match rule {
                    0 => a[row].clone(),
                    1 => b[row].clone(),
                    _ => Some(format!("{}|{}", a[row].clone()?, b[row].clone()?)),
                }
            };
            let mut want = std::collections::BTreeSet::new();
            for rule in 0..3 {
                let mut blocks = std::collections::BTreeMap::<String, Vec<usize>>::new();
                for row in 0..n {
                    if let Some(k) = key_of(rule, row) {
                        blocks.entry(k).or_default().push(row);
                    }
                }
                for rows in blocks.values().filter(|r| r.len() <= cap) {
                    for (i, &x) in rows.iter().enumerate() {
                        for &y in &rows[i + 1..] {
                            let crosses = split.is_none_or(|s| (x < s) != (y < s));
                            if crosses {
                                want.insert(pack(x as u32, y as u32));
                            }
                        }
                    }
                }
            }
            proptest::prop_assert_eq!(got, want.into_iter().collect::<Vec<_>>());
        }
    }
}
