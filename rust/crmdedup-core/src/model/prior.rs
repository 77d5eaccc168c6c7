//! The prior of a candidate pair: the chance it is a match before looking at it, once over all
//! candidates and once per set of blocking rules a pair satisfies (over the comparisons those
//! rules do not determine).

use super::em::{Fixed, posterior};
use super::{FLOOR, Group};
use crate::settings::EmSettings;

/// A prior by EM with m and u fixed, from `start` and shrunk towards it by `weight` pairs:
/// `matched(prior)` is the expected number of matches among the `total` pairs.
pub(crate) fn fit_prior(
    start: f64,
    total: f64,
    weight: f64,
    em: &EmSettings,
    matched: impl Fn(f64) -> f64,
) -> f64 {
    let mut prior = start;
    if total == 0.0 {
        return prior;
    }
    for _ in 0..em.max_iterations {
        let new = ((matched(prior) + weight * start) / (total + weight)).clamp(FLOOR, 1.0 - FLOOR);
        let done = (new - prior).abs() < em.tolerance;
        prior = new;
        if done {
            break;
        }
    }
    prior
}

/// Weight, in pairs, of the global prior in each set of rules' own prior.
const RULE_PRIOR_PAIRS: f64 = 1000.0;

/// Comparisons (bit `c`) that a pair blocked by the rules in `mask` agrees on by construction:
/// the union of what those rules determine. Their agreement is no evidence beyond the prior of
/// `mask` (it is what put the pair there), so they are left out of that pair's weight. When the
/// rules determine every comparison, none is left out: there would be nothing else to score.
#[must_use]
pub fn determined(determines: &[u64], mask: u32, n_comp: usize) -> u64 {
    let bits = determines
        .iter()
        .enumerate()
        .filter(|(r, _)| *r < 32 && mask & (1 << r) != 0)
        .fold(0, |acc, (_, d)| acc | d);
    let all = if n_comp >= 64 {
        u64::MAX
    } else {
        (1u64 << n_comp) - 1
    };
    if bits & all == all { 0 } else { bits }
}

/// The prior of each set of rules, by EM with m and u fixed over the comparisons the set does
/// not determine, shrunk by [`RULE_PRIOR_PAIRS`] pairs towards `target(determined)`, what the
/// agreement on the determined comparisons says by itself (or towards `global` when the set
/// determines none). A set whose pairs leave nothing else
/// to compare (all null) keeps that value instead of an average over unlike pairs.
pub(crate) fn rule_priors(
    rows: &[(&[i8], u32, f64)],
    fixed: &Fixed<'_>,
    global: f64,
    target: &dyn Fn(u64) -> f64,
    determines: &[u64],
    em: &EmSettings,
    groups: &[Group],
) -> Vec<(u32, f64)> {
    let (m, u, household) = (fixed.m, fixed.u, fixed.household);
    let mut masks: Vec<u32> = rows.iter().map(|r| r.1).collect();
    masks.sort_unstable();
    masks.dedup();
    masks
        .into_iter()
        .map(|mask| {
            let group: Vec<&(&[i8], u32, f64)> = rows.iter().filter(|r| r.1 == mask).collect();
            let skip = determined(determines, mask, m.len());
            let all: Vec<bool> = (0..m.len()).map(|c| skip & (1 << c) == 0).collect();
            let total: f64 = group.iter().map(|r| r.2).sum();
            let start = if skip == 0 { global } else { target(skip) };
            let matched = |prior: f64| -> f64 {
                group
                    .iter()
                    .map(|(g, _, n)| posterior(g, &all, m, u, prior, household, groups) * n)
                    .sum()
            };
            (mask, fit_prior(start, total, RULE_PRIOR_PAIRS, em, matched))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn determined_is_the_union_unless_it_is_everything() {
        // Rule 0 blocks on comparison 2, rule 1 on comparisons 0 and 1.
        let determines = [0b100, 0b011];
        assert_eq!(determined(&determines, 0b01, 3), 0b100);
        assert_eq!(determined(&determines, 0b10, 3), 0b011);
        assert_eq!(determined(&determines, 0, 3), 0);
        // Both rules leave nothing else to score: nothing is left out.
        assert_eq!(determined(&determines, 0b11, 3), 0);
    }
}
