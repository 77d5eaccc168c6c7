//! Blocks of one rule: rows grouped by key and ordered inside each block, blocks over the size
//! cap set apart, and the pairs of the other blocks that no earlier rule produced.
//!
//! Inside a block, each row is paired with the next `window` rows in the block's order (by
//! [`order key`](super::order_key), then id): a block of at most `window + 1` rows gives all
//! its pairs, a larger one at most `window` pairs per row (a sorted neighbourhood).

use rayon::prelude::*;

use super::{KeyExpr, SkippedBlock, pack};
use crate::column::CodedColumn;

/// Position of a row outside every expanded block of a rule.
pub(crate) const NOT_EXPANDED: u32 = u32::MAX;

/// Rows of one rule sorted by key, then order key, then id, cut into blocks of two rows or
/// more.
pub(crate) struct Blocks {
    /// `(key, order, id rank, row)` of every row with a key, sorted.
    keyed: Vec<(u64, u64, u32, u32)>,
    /// Blocks within the size cap, as ranges of `keyed`.
    small: Vec<(usize, usize)>,
    /// Blocks over the size cap, as ranges of `keyed`.
    big: Vec<(usize, usize)>,
    /// Rows each row is paired with, after it in its block's order.
    window: usize,
}

/// Whether two rows of one expanded block, at positions `a` and `b` in its order, are paired.
pub(crate) fn within(a: u32, b: u32, window: usize) -> bool {
    a != NOT_EXPANDED && b != NOT_EXPANDED && a.abs_diff(b) as usize <= window
}

/// Pairs that a block of `k` rows gives with a window of `window`.
pub(crate) fn window_pairs(k: u64, window: u64) -> u64 {
    if k <= window.saturating_add(1) {
        k * k.saturating_sub(1) / 2
    } else {
        window * (k - window) + window * (window - 1) / 2
    }
}

impl Blocks {
    /// Group the rows by `keys` (0: no key), order each group by `orders` then `rank`, and set
    /// apart blocks over `max_block_size`.
    pub(crate) fn of(
        keys: &[u64],
        orders: &[u64],
        rank: &[u32],
        max_block_size: usize,
        window: usize,
    ) -> Self {
        let mut keyed: Vec<(u64, u64, u32, u32)> = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| **k != 0)
            .map(|(r, k)| (*k, orders[r], rank[r], r as u32))
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
        Self {
            keyed,
            small,
            big,
            window,
        }
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
                let row = self.keyed[s].3 as usize;
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

    /// Expanded blocks larger than the window (paired along their order, not in full).
    pub(crate) fn windowed(&self) -> u64 {
        self.small
            .iter()
            .filter(|(s, e)| e - s > self.window.saturating_add(1))
            .count() as u64
    }

    /// Per row, its position in the order of its expanded block, or [`NOT_EXPANDED`].
    pub(crate) fn positions(&self, n: usize) -> Vec<u32> {
        let mut pos = vec![NOT_EXPANDED; n];
        for &(s, e) in &self.small {
            for (i, &(_, _, _, row)) in self.keyed[s..e].iter().enumerate() {
                pos[row as usize] = i as u32;
            }
        }
        pos
    }

    /// The pairs `(a, b)` of block `s..e` in its order: each row with the next `window`.
    fn block_pairs(&self, s: usize, e: usize) -> impl Iterator<Item = (u32, u32)> + '_ {
        let rows = &self.keyed[s..e];
        rows.iter().enumerate().flat_map(move |(i, &(_, _, _, a))| {
            let end = rows.len().min((i + 1).saturating_add(self.window));
            rows[i + 1..end].iter().map(move |&(_, _, _, b)| (a, b))
        })
    }

    /// Pairs the rule makes on its own, before leaving out those of earlier rules.
    pub(crate) fn pair_count(&self, split: Option<usize>) -> u64 {
        self.small
            .par_iter()
            .map(|&(s, e)| match split {
                Some(cut) => self
                    .block_pairs(s, e)
                    .filter(|&(a, b)| crosses(a, b, cut))
                    .count() as u64,
                None => window_pairs((e - s) as u64, self.window as u64),
            })
            .sum()
    }

    /// Pairs of the small blocks (across the `split` for linkage) that no earlier rule
    /// produced: `earlier[r]` are rule `r`'s row keys and `positions[r]` its rows' positions.
    pub(crate) fn new_pairs(
        &self,
        split: Option<usize>,
        earlier: &[Vec<u64>],
        positions: &[Vec<u32>],
    ) -> Vec<u64> {
        let window = self.window;
        let seen_before = |a: u32, b: u32| {
            earlier.iter().zip(positions).any(|(keys, pos)| {
                let (a, b) = (a as usize, b as usize);
                keys[a] != 0 && keys[a] == keys[b] && within(pos[a], pos[b], window)
            })
        };
        self.small
            .par_iter()
            .flat_map_iter(|&(s, e)| {
                self.block_pairs(s, e).filter_map(move |(a, b)| {
                    let wanted = split.is_none_or(|cut| crosses(a, b, cut));
                    (wanted && !seen_before(a, b)).then(|| pack(a.min(b), a.max(b)))
                })
            })
            .collect()
    }
}

/// Whether rows `a` and `b` are on two sides of the linkage `cut`.
fn crosses(a: u32, b: u32, cut: usize) -> bool {
    ((a as usize) < cut) != ((b as usize) < cut)
}
