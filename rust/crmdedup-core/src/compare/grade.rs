//! Grading the candidate pairs in bulk: every comparison's level and the blocking rules of each
//! pair, with the histogram of patterns EM fits on, chunk by chunk with progress between.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::Comparison;
use crate::block::{Candidates, rule_mask, unpack};
use crate::error::Result;
use crate::model::Patterns;
use crate::progress::Progress;

/// Pairs graded per chunk between two progress calls.
const CHUNK: usize = 1 << 20;

/// Pairs per (levels packed 4 bits a comparison, blocking rules) pattern.
type PatternCounts = FxHashMap<(u64, u32), u64>;

/// What grading the candidate pairs gives, in candidate order.
#[derive(Debug)]
pub struct Graded {
    /// `gammas[i * n_comp + c]`: level of comparison `c` for pair `i`.
    pub gammas: Vec<i8>,
    /// Blocking rules (bit `r`) that put pair `i` in one block.
    pub masks: Vec<u32>,
}

/// Row-major copy of what grading a pair reads: each row's value code per comparison, then its
/// key per blocking rule (hash truncated to 32 bits, 0 for none). The columns live in separate
/// arrays, so a pair would cost a cache miss per comparison and per rule; here it costs about two.
struct RowPack {
    n_comp: usize,
    /// The given-name and surname comparisons, graded across fields too (see
    /// [`super::name_fields`]).
    names: Option<(usize, usize)>,
    stride: usize,
    data: Vec<u32>,
}

impl RowPack {
    fn new(comparisons: &[Comparison<'_>], row_keys: &[Vec<u64>], n: usize) -> Self {
        let n_comp = comparisons.len();
        let stride = (n_comp + row_keys.len()).max(1);
        let mut data = vec![0u32; n * stride];
        data.par_chunks_mut(stride)
            .enumerate()
            .with_min_len(4096)
            .for_each(|(row, out)| {
                for (c, comp) in comparisons.iter().enumerate() {
                    out[c] = comp.column.codes[row];
                }
                for (r, keys) in row_keys.iter().enumerate() {
                    // Keys are odd when present, so the low half of a key is never 0.
                    out[n_comp + r] = keys[row] as u32;
                }
            });
        Self {
            n_comp,
            names: super::name_fields(comparisons),
            stride,
            data,
        }
    }

    fn row(&self, row: usize) -> &[u32] {
        &self.data[row * self.stride..(row + 1) * self.stride]
    }

    /// Bit `r` set when rule `r` gives both rows the same key.
    fn mask(&self, a: &[u32], b: &[u32]) -> u32 {
        rule_mask(
            a[self.n_comp..]
                .iter()
                .copied()
                .zip(b[self.n_comp..].iter().copied()),
        )
    }
}

/// Grade one pair of rows packed by [`RowPack`] into `g`, returning its rules and packed levels.
fn grade_pair(comparisons: &[Comparison<'_>], rows: &RowPack, p: u64, g: &mut [i8]) -> (u32, u64) {
    let (a, b) = unpack(p);
    let (ra, rb) = (rows.row(a as usize), rows.row(b as usize));
    for (c, comp) in comparisons.iter().enumerate() {
        g[c] = comp.level_of_codes(ra[c], rb[c]);
    }
    if let Some(names) = rows.names {
        super::swapped_names(comparisons, names, (ra, rb), g);
    }
    let mut key = 0u64;
    for (c, &level) in g.iter().enumerate() {
        key |= ((level + 1) as u64) << (4 * c);
    }
    (rows.mask(ra, rb), key)
}

/// Grade one chunk of pairs into `out` and `masks`, counting their patterns.
fn grade_chunk(
    comparisons: &[Comparison<'_>],
    rows: &RowPack,
    pairs: &[u64],
    out: &mut [i8],
    masks: &mut [u32],
) -> PatternCounts {
    out.par_chunks_mut(comparisons.len().max(1))
        .zip(masks.par_iter_mut())
        .zip(pairs.par_iter())
        .with_min_len(1024)
        .fold(PatternCounts::default, |mut acc, ((g, m), &p)| {
            let (mask, key) = grade_pair(comparisons, rows, p, g);
            *m = mask;
            *acc.entry((key, mask)).or_default() += 1;
            acc
        })
        .reduce(PatternCounts::default, |mut x, y| {
            for (k, v) in y {
                *x.entry(k).or_default() += v;
            }
            x
        })
}

/// Grade every candidate pair of `cands` over `n` rows, and count the patterns (levels and the
/// rules that block each pair) EM fits on.
///
/// # Errors
/// Cancellation through `progress`.
pub fn grade(
    comparisons: &[Comparison<'_>],
    cands: &Candidates,
    n: usize,
    progress: &dyn Progress,
) -> Result<(Graded, Patterns)> {
    let n_comp = comparisons.len();
    let total = cands.pairs.len();
    let mut graded = Graded {
        gammas: vec![0i8; total * n_comp],
        masks: vec![0u32; total],
    };
    let mut counts = PatternCounts::default();
    let rows = RowPack::new(comparisons, &cands.row_keys, n);
    for (chunk_index, ((pairs, out), masks)) in cands
        .pairs
        .chunks(CHUNK)
        .zip(graded.gammas.chunks_mut(CHUNK * n_comp.max(1)))
        .zip(graded.masks.chunks_mut(CHUNK))
        .enumerate()
    {
        for (k, v) in grade_chunk(comparisons, &rows, pairs, out, masks) {
            *counts.entry(k).or_default() += v;
        }
        progress.update(
            "compare",
            ((chunk_index + 1) * CHUNK).min(total) as u64,
            total as u64,
        )?;
    }
    Ok((graded, unpacked(&counts, n_comp)))
}

/// The pattern counts with their levels unpacked.
fn unpacked(counts: &PatternCounts, n_comp: usize) -> Patterns {
    counts
        .iter()
        .map(|(&(key, mask), &count)| {
            let g = (0..n_comp)
                .map(|c| (((key >> (4 * c)) & 0xf) as i8) - 1)
                .collect();
            ((g, mask), count)
        })
        .collect()
}

/// The pattern histogram of row `pairs` over `n` rows, graded in the order given, without
/// their blocking rules (every mask 0): what u is estimated from.
///
/// # Errors
/// None in practice (no progress is reported).
pub fn pattern_histogram(
    comparisons: &[Comparison<'_>],
    pairs: &[(usize, usize)],
    n: usize,
) -> Result<Patterns> {
    let cands = Candidates {
        pairs: pairs
            .iter()
            .map(|&(a, b)| crate::block::pack(a as u32, b as u32))
            .collect(),
        ..Candidates::default()
    };
    grade(comparisons, &cands, n, &crate::progress::NoProgress).map(|(_, patterns)| patterns)
}
