//! Blocking: candidate pairs are the rows that share a key under at least one rule.
//!
//! A key is built from normalised columns through small expressions (`last_name`,
//! `first_name[:1]`, `initials(company)`…). Blocks larger than the configured cap are not expanded
//! (a shared empty-ish value would otherwise produce billions of pairs); they are reported instead.

mod expand;
mod keys;
mod rules;

use serde::Serialize;

use crate::column::CodedColumn;
use expand::Blocks;
pub(crate) use keys::rule_keys;
pub use keys::{KEY_PART_END, KeyExpr, KeyFn, key_hash};
pub use rules::{parse_rules, rule_determines, rule_reads, training_masks};

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

/// Bit `r` set when the `r`-th pair of keys is equal and present (0 means no key).
#[must_use]
pub fn rule_mask<T: PartialEq + Default>(keys: impl Iterator<Item = (T, T)>) -> u32 {
    keys.enumerate()
        .filter(|(_, (x, y))| *x != T::default() && x == y)
        .fold(0, |mask, (r, _)| mask | (1 << r))
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
        let blocks = Blocks::of(&keys, max_block_size);
        out.skipped
            .extend(blocks.skipped(rule, rule_exprs, rule_parts));
        out.pairs_per_rule.push(blocks.pair_count(split));
        let pairs = blocks.new_pairs(split, &out.row_keys, &expanded);
        out.pairs.extend(pairs);
        out.row_keys.push(keys);
        expanded.push(blocks.rows_in_pairs(n));
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
