//! u, the chance of each level between two records that do not match, estimated from a seeded
//! random sample of record pairs (the same records in any row order give the same sample).

use super::{Model, PSEUDO_PAIRS, Patterns};
use crate::compare::NULL_LEVEL;
use crate::settings::EmSettings;

/// Deterministic 64-bit generator (splitmix64): the same seed gives the same sample everywhere.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    /// Seeded generator.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform value in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// Random pairs drawn for u on `n` records: 20 per record, at least 100,000, at most
/// `u_sample_size`. Small bases get a smaller sample: on a few thousand records a million pairs
/// cost most of the run, and on FEBRL and the synthetic contacts the fitted model gives the
/// same F1.
#[must_use]
pub fn u_sample_budget(em: &EmSettings, n: usize) -> u64 {
    em.u_sample_size.min((20 * n as u64).max(100_000))
}

/// Random record pairs to estimate u from, as row pairs. Pairs are drawn as pairs of id ranks
/// (`by_rank[r]` is the row of rank `r`; for linkage, left ranks come first), so the same
/// records in any row order give the same sample. `split = Some(n_left)` draws one record from
/// each side; [`u_sample_budget`] says how many.
#[must_use]
pub fn sample_pairs(
    n: usize,
    split: Option<usize>,
    by_rank: &[u32],
    em: &EmSettings,
) -> Vec<(usize, usize)> {
    let budget = u_sample_budget(em, n);
    let row = |r: u64| by_rank[r as usize] as usize;
    if let Some(cut) = split {
        let (nl, nr) = (cut as u64, (n - cut) as u64);
        if nl == 0 || nr == 0 {
            Vec::new()
        } else if nl * nr <= budget {
            (0..nl)
                .flat_map(|a| (nl..nl + nr).map(move |b| (a, b)))
                .map(|(a, b)| (row(a), row(b)))
                .collect()
        } else {
            let mut rng = SplitMix::new(em.seed);
            (0..budget)
                .map(|_| (row(rng.below(nl)), row(nl + rng.below(nr))))
                .collect()
        }
    } else {
        let total = (n as u64) * (n as u64).saturating_sub(1) / 2;
        let n = n as u64;
        if total <= budget {
            (0..n)
                .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
                .map(|(a, b)| (row(a), row(b)))
                .collect()
        } else {
            let mut rng = SplitMix::new(em.seed);
            (0..budget)
                .map(|_| {
                    let a = rng.below(n);
                    let b = (a + 1 + rng.below(n - 1)) % n;
                    (row(a), row(b))
                })
                .collect()
        }
    }
}

/// Pairs per level of each comparison among the patterns of random pairs (null levels, and
/// levels a comparison does not have, left out).
fn level_counts(model: &Model, random: &Patterns) -> Vec<Vec<u64>> {
    let mut counts: Vec<Vec<u64>> = model
        .comparisons
        .iter()
        .map(|p| vec![0; p.u.len()])
        .collect();
    for ((gamma, _), &pairs) in random {
        for (c, &l) in gamma.iter().enumerate().take(counts.len()) {
            if l != NULL_LEVEL
                && let Some(k) = counts[c].get_mut(l as usize)
            {
                *k += pairs;
            }
        }
    }
    counts
}

/// Estimate u from the comparison patterns of random record pairs (see [`sample_pairs`]; the
/// rules in the pattern keys are not read), starting from `model`'s u (worth [`PSEUDO_PAIRS`]
/// pairs). Only counts are read, so the histograms of any split of the pairs, added up, give
/// the same u.
#[must_use]
pub fn estimate_u(model: &Model, random: &Patterns) -> Vec<Vec<f64>> {
    level_counts(model, random)
        .iter()
        .zip(&model.comparisons)
        .map(|(counts, params)| {
            let total = counts.iter().sum::<u64>() as f64 + PSEUDO_PAIRS;
            counts
                .iter()
                .zip(&params.u)
                .map(|(&k, u0)| (k as f64 + PSEUDO_PAIRS * u0) / total)
                .collect()
        })
        .collect()
}

/// The chance that two random records agree exactly on every shared comparison (bit `c` of
/// `model.shared`) they both hold, among the random pairs (their `random` patterns) holding at
/// least two (see [`Model::household_u`]); `None` with fewer than two shared comparisons.
#[must_use]
pub fn household_u(model: &Model, random: &Patterns) -> Option<f64> {
    let shared: Vec<(usize, usize)> = model
        .comparisons
        .iter()
        .enumerate()
        .filter(|(c, _)| *c < 64 && model.shared & (1 << c) != 0)
        .map(|(c, p)| (c, p.u.len()))
        .collect();
    if shared.len() < 2 {
        return None;
    }
    let (mut agree, mut held_two) = (0u64, 0u64);
    for ((gamma, _), &pairs) in random {
        let mut held = 0;
        let mut all = true;
        for &(c, n_levels) in &shared {
            let l = gamma.get(c).copied().unwrap_or(NULL_LEVEL);
            if l != NULL_LEVEL {
                held += 1;
                all &= l as usize + 1 == n_levels;
            }
        }
        if held >= 2 {
            held_two += pairs;
            agree += u64::from(all) * pairs;
        }
    }
    Some((agree as f64 + 0.5) / (held_two as f64 + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u_sample_grows_with_the_base_up_to_the_setting() {
        let em = EmSettings {
            max_iterations: 1,
            tolerance: 1e-6,
            u_sample_size: 1_000_000,
            seed: 1,
            estimate_u: true,
        };
        assert_eq!(u_sample_budget(&em, 1_000), 100_000);
        assert_eq!(u_sample_budget(&em, 10_000), 200_000);
        assert_eq!(u_sample_budget(&em, 10_000_000), 1_000_000);
        let small = EmSettings {
            u_sample_size: 5_000,
            ..em
        };
        assert_eq!(u_sample_budget(&small, 10_000), 5_000);
    }
}
