//! Blocking: candidate pairs are the rows that share a key under at least one rule.
//!
//! A key is built from normalised columns through small expressions (`last_name`,
//! `first_name[:1]`, `initials(company)`…). Blocks larger than the configured cap are not expanded
//! (a shared empty-ish value would otherwise produce billions of pairs); they are reported instead.

mod expand;
mod keys;
mod order;
mod rules;

use serde::Serialize;

use crate::column::CodedColumn;
use expand::Blocks;
pub(crate) use expand::{NOT_EXPANDED, within};
pub(crate) use keys::rule_keys;
pub use keys::{KEY_PART_END, KeyExpr, KeyFn, key_hash};
pub(crate) use order::row_orders;
pub use order::{order_key, rule_orders};
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
    /// block: a pair goes to the first rule that pairs both rows (in the same block, within
    /// the window of its order). Grading
    /// in this order reads the few rows of one block many times, which keeps them in cache.
    pub pairs: Vec<u64>,
    /// Pairs each rule produced on its own (before the union).
    pub pairs_per_rule: Vec<u64>,
    /// Blocks over the size cap, largest first.
    pub skipped: Vec<SkippedBlock>,
    /// Expanded blocks larger than the window, paired along their order rather than in full.
    pub windowed_blocks: u64,
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

/// What blocking reads: per rule the key expressions and their coded columns, and per row its
/// place in a block's order.
pub struct BlockingInput<'a> {
    /// Key expressions of each rule.
    pub exprs: &'a [Vec<KeyExpr>],
    /// `parts[rule][k]`: the coded column of key `k` of `rule`.
    pub parts: &'a [Vec<&'a CodedColumn>],
    /// `orders[rule][row]`: the row's [`order_key`] under the rule.
    pub orders: &'a [Vec<u64>],
    /// `rank[row]`: the row's id rank (left ids before right ones), which breaks ties of order.
    pub rank: &'a [u32],
    /// With `Some(n_left)`, only pairs with one row below `n_left` and one at or above it are
    /// produced (record linkage).
    pub split: Option<usize>,
}

/// How many pairs a block may give.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Blocks with more rows are not expanded (and are reported).
    pub max_block_size: usize,
    /// Each row of a block is paired with this many rows after it in the block's order.
    pub pairs_per_record: usize,
}

/// Build candidate pairs for all rules.
///
/// A block is the rows sharing a rule's key. One of at most `max_block_size` rows is expanded:
/// ordered by order key then id rank, each row is paired with the next `pairs_per_record`
/// (so a block of at most `pairs_per_record + 1` rows gives all its pairs). `on_rule` is called
/// after each rule with its index (progress).
pub fn candidates(
    input: &BlockingInput<'_>,
    limits: Limits,
    mut on_rule: impl FnMut(usize) -> crate::error::Result<()>,
) -> crate::error::Result<Candidates> {
    let n = input.rank.len();
    let mut out = Candidates::default();
    // Per earlier rule, each row's position in its expanded block (or NOT_EXPANDED).
    let mut positions: Vec<Vec<u32>> = Vec::new();
    let rules = input.exprs.iter().zip(input.parts).zip(input.orders);
    for (rule, ((rule_exprs, rule_parts), orders)) in rules.enumerate() {
        let keys = rule_keys(rule_exprs, rule_parts, n);
        let blocks = Blocks::of(
            &keys,
            orders,
            input.rank,
            limits.max_block_size,
            limits.pairs_per_record,
        );
        out.skipped
            .extend(blocks.skipped(rule, rule_exprs, rule_parts));
        out.windowed_blocks += blocks.windowed();
        out.pairs_per_rule.push(blocks.pair_count(input.split));
        let pairs = blocks.new_pairs(input.split, &out.row_keys, &positions);
        out.pairs.extend(pairs);
        out.row_keys.push(keys);
        positions.push(blocks.positions(n));
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
        let orders = vec![vec![0; 7]; 2];
        let rank: Vec<u32> = (0..7).collect();
        let input = |split| BlockingInput {
            exprs: &exprs,
            parts: &parts,
            orders: &orders,
            rank: &rank,
            split,
        };
        let limits = |max_block_size| Limits {
            max_block_size,
            pairs_per_record: 5,
        };
        let c = candidates(&input(None), limits(2), |_| Ok(())).unwrap();
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
        let linked = candidates(&input(Some(1)), limits(10), |_| Ok(())).unwrap();
        assert!(linked.pairs.iter().all(|p| unpack(*p).0 < 1));
        // The widest window pairs every block in full, and counts none as windowed.
        let wide = Limits {
            max_block_size: 10,
            pairs_per_record: usize::MAX,
        };
        let all = candidates(&input(None), wide, |_| Ok(())).unwrap();
        assert_eq!(all.pairs.len(), 1 + 1 + 3);
        assert_eq!(all.pairs_per_rule, vec![4, 1]);
        assert_eq!(all.windowed_blocks, 0);
    }

    proptest::proptest! {
        /// Each pair appears once, and the pairs are exactly the union over rules of the pairs
        /// of blocks within the size cap, each row paired with the next `window` rows of its
        /// block in (order key, rank) order (the order of the output is the only thing the
        /// union leaves free).
        #[test]
        fn pairs_are_the_union_of_the_rules_without_repeats(
            first in proptest::collection::vec(proptest::option::of(0u8..4), 1..40),
            second in proptest::collection::vec(proptest::option::of(0u8..3), 40),
            order in proptest::collection::vec(0u64..5, 40),
            cap in 2usize..12,
            window in 1usize..6,
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
            // Ranks: the rows in reverse, so that row order and id order differ.
            let rank: Vec<u32> = (0..n as u32).rev().collect();
            let orders = vec![order[..n].to_vec(), order[..n].iter().map(|o| 4 - o).collect(), order[..n].to_vec()];
            let input = BlockingInput {
                exprs: &exprs,
                parts: &parts,
                orders: &orders,
                rank: &rank,
                split,
            };
            let limits = Limits { max_block_size: cap, pairs_per_record: window };
            let c = candidates(&input, limits, |_| Ok(())).unwrap();
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
            for (rule, order) in orders.iter().enumerate() {
                let mut blocks = std::collections::BTreeMap::<String, Vec<usize>>::new();
                for row in 0..n {
                    if let Some(k) = key_of(rule, row) {
                        blocks.entry(k).or_default().push(row);
                    }
                }
                for rows in blocks.values_mut().filter(|r| r.len() <= cap) {
                    rows.sort_by_key(|&row| (order[row], rank[row]));
                    for (i, &x) in rows.iter().enumerate() {
                        for &y in rows.iter().skip(i + 1).take(window) {
                            let crosses = split.is_none_or(|s| (x < s) != (y < s));
                            if crosses {
                                want.insert(pack(x.min(y) as u32, x.max(y) as u32));
                            }
                        }
                    }
                }
            }
            proptest::prop_assert_eq!(got, want.into_iter().collect::<Vec<_>>());
            let expected: u64 = c.pairs_per_rule.iter().sum();
            proptest::prop_assert!(expected >= c.pairs.len() as u64);
        }
    }
}
