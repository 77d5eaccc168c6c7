//! Blocks of one rule: rows grouped by key, blocks over the size cap set apart, and the pairs of
//! the other blocks that no earlier rule produced.

use rayon::prelude::*;

use super::{KeyExpr, SkippedBlock, pack};
use crate::column::CodedColumn;

/// Rows of one rule sorted by key, cut into blocks of two rows or more.
pub(crate) struct Blocks {
    /// `(key, row)` of every row with a key, sorted.
    keyed: Vec<(u64, u32)>,
    /// Blocks within the size cap, as ranges of `keyed`.
    small: Vec<(usize, usize)>,
    /// Blocks over the size cap, as ranges of `keyed`.
    big: Vec<(usize, usize)>,
}

impl Blocks {
    /// Group the rows by `keys` (0: no key) and set apart blocks over `max_block_size`.
    pub(crate) fn of(keys: &[u64], max_block_size: usize) -> Self {
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
        let (small, big) = groups
            .into_iter()
            .partition(|(s, e)| e - s <= max_block_size);
        Self { keyed, small, big }
    }

    /// The blocks over the cap, with their key spelt out.
    pub(crate) fn skipped(
        &self,
        rule: usize,
        exprs: &[KeyExpr],
        parts: &[&CodedColumn],
    ) -> Vec<SkippedBlock> {
        self.big
            .iter()
            .map(|&(s, e)| {
                let row = self.keyed[s].1 as usize;
                let key = exprs
                    .iter()
                    .zip(parts)
                    .map(|(expr, col)| col.get(row).and_then(|v| expr.apply(v)).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("|");
                SkippedBlock {
                    rule,
                    key,
                    size: e - s,
                }
            })
            .collect()
    }

    /// Per row, whether it sits in a block expanded into pairs.
    pub(crate) fn rows_in_pairs(&self, n: usize) -> Vec<bool> {
        let mut in_pairs = vec![false; n];
        for &(s, e) in &self.small {
            for &(_, row) in &self.keyed[s..e] {
                in_pairs[row as usize] = true;
            }
        }
        in_pairs
    }

    /// Pairs the rule makes on its own, before leaving out those of earlier rules.
    pub(crate) fn pair_count(&self, split: Option<usize>) -> u64 {
        self.small
            .par_iter()
            .map(|&(s, e)| {
                let k = (e - s) as u64;
                match split {
                    Some(cut) => {
                        let left = self.keyed[s..e]
                            .iter()
                            .filter(|r| (r.1 as usize) < cut)
                            .count();
                        left as u64 * (k - left as u64)
                    }
                    None => k * (k - 1) / 2,
                }
            })
            .sum()
    }

    /// Pairs of the small blocks (across the `split` for linkage) that no earlier rule
    /// produced: `earlier[r]` are rule `r`'s row keys and `expanded[r]` its rows in pairs.
    pub(crate) fn new_pairs(
        &self,
        split: Option<usize>,
        earlier: &[Vec<u64>],
        expanded: &[Vec<bool>],
    ) -> Vec<u64> {
        let seen_before = |a: u32, b: u32| {
            earlier.iter().zip(expanded).any(|(keys, exp)| {
                let (a, b) = (a as usize, b as usize);
                keys[a] != 0 && keys[a] == keys[b] && exp[a]
            })
        };
        self.small
            .par_iter()
            .flat_map_iter(|&(s, e)| {
                let rows = &self.keyed[s..e];
                rows.iter().enumerate().flat_map(move |(i, &(_, a))| {
                    rows[i + 1..].iter().filter_map(move |&(_, b)| match split {
                        Some(cut) if (a as usize) < cut && (b as usize) < cut => None,
                        Some(cut) if (a as usize) >= cut && (b as usize) >= cut => None,
                        _ => (!seen_before(a, b)).then(|| pack(a, b)),
                    })
                })
            })
            .collect()
    }
}
