//! Scoring pairs: the match weight of a graded pair under a model (level weights, term-frequency
//! adjustments, the prior of the rules that found it, group floors and the household cap), and
//! the pairs at or above the threshold.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::block::{Candidates, unpack};
use crate::compare::{Comparison, Graded, NULL_LEVEL};
use crate::model::{self, Model};
use crate::settings::MAX_COMPARISONS;
use crate::tf::{TfTable, TfTables};

/// Records' worth of weight given to "no adjustment" in term-frequency estimates.
const TF_PSEUDO_RECORDS: f64 = 100.0;

/// Weight of every level, and term-frequency adjustments per value code where asked.
pub struct Scorer<'m> {
    model: &'m Model,
    weights: Vec<Vec<f64>>,
    /// `tf[c][code]`: added to the exact level's weight for that value.
    tf: Vec<Option<Vec<f64>>>,
    /// Per set of blocking rules with a fitted prior: its prior weight and the comparisons
    /// left out of its pairs' weight (see [`Scorer::prior`]).
    by_mask: FxHashMap<u32, (f64, u64)>,
    /// Level weights per set of rules with its own u.
    set_weights: FxHashMap<u32, Vec<Vec<f64>>>,
    /// Cap on the summed positive weight of the shared comparisons (see
    /// [`Model::household_cap`]).
    household_cap: Option<f64>,
}

/// A set of blocking rules as the scorer sees it ([`Scorer::rule_set`]).
#[derive(Debug, Clone, Copy)]
pub struct RuleSet<'s> {
    /// Prior weight (log2 odds) of the set's pairs.
    pub prior: f64,
    /// Comparisons (bit `c`) whose agreement the prior already holds.
    pub skipped: u64,
    /// Level weights `[comparison][level]`, from the set's own u when it has one.
    weights: &'s [Vec<f64>],
}

impl<'m> Scorer<'m> {
    /// The term-frequency adjustments come from `tf_tables` when given (a comparison without a
    /// table there counts its own column), else from the comparisons' own columns.
    #[must_use]
    pub fn new(
        model: &'m Model,
        comparisons: &[Comparison<'_>],
        determines: &[u64],
        tf_tables: Option<&TfTables>,
    ) -> Self {
        let tf = comparisons
            .iter()
            .map(|c| {
                let table = tf_tables.and_then(|t| t.get(&c.spec.name));
                c.spec.term_frequency.then(|| tf_adjustments(c, table))
            })
            .collect();
        Self {
            model,
            weights: model
                .comparisons
                .iter()
                .map(model::ComparisonParams::weights)
                .collect(),
            tf,
            by_mask: model
                .rule_priors
                .iter()
                .map(|&(mask, _)| {
                    let skip = model::determined(determines, mask, model.comparisons.len());
                    (mask, (model.prior_weight_for(mask), skip))
                })
                .collect(),
            set_weights: model
                .set_u
                .iter()
                .map(|(mask, us)| {
                    let w = model
                        .comparisons
                        .iter()
                        .zip(us)
                        .map(|(p, u)| {
                            p.m.iter()
                                .zip(u)
                                .map(|(m, u)| (m.max(model::FLOOR) / u.max(model::FLOOR)).log2())
                                .collect()
                        })
                        .collect();
                    (*mask, w)
                })
                .collect(),
            household_cap: model.household_cap(),
        }
    }

    /// What the set of blocking rules in `mask` brings to its pairs' weights: its prior weight,
    /// the comparisons left out (those the rules determine, when the model has a prior fitted
    /// for that set: it holds their agreement), and the level weights of its own u. A set
    /// unseen when fitting (or a model without per-set fits) has the global prior and weights,
    /// and every comparison counts.
    #[must_use]
    pub fn rule_set(&self, mask: u32) -> RuleSet<'_> {
        let (prior, skipped) = self
            .by_mask
            .get(&mask)
            .copied()
            .unwrap_or_else(|| (self.model.prior_weight_for(mask), 0));
        RuleSet {
            prior,
            skipped,
            weights: self.set_weights.get(&mask).map_or(&self.weights, |w| w),
        }
    }

    /// Match weight of a pair graded `gammas`, blocked by the rules in `mask`, and (apart, also
    /// in the total) the household adjustment: agreement on the shared comparisons (surname,
    /// address, landline…) is one fact, so their summed positive weight is capped.
    #[must_use]
    pub fn pair_weight(
        &self,
        comparisons: &[Comparison<'_>],
        gammas: &[i8],
        mask: u32,
        (a, b): (usize, usize),
    ) -> (f64, f64) {
        let set = self.rule_set(mask);
        let (prior, weights) = (set.prior, set.weights);
        let mut raw = prior;
        // Each comparison's weight, and its weight as evidence about the person (a determined
        // comparison's agreement is in the prior, but it is evidence of the same kind).
        let mut counted = [0.0f64; MAX_COMPARISONS];
        let mut full_weights = [0.0f64; MAX_COMPARISONS];
        let mut evidence = [0.0f64; MAX_COMPARISONS];
        let mut gain = 0.0;
        for (c, &level) in gammas.iter().enumerate() {
            if level == NULL_LEVEL {
                continue;
            }
            let (base, adj) = self.weight(comparisons, c, level, (a, b), &set);
            raw += base + adj;
            let full = weights[c][level as usize] + adj;
            full_weights[c] = base + adj;
            let shared = c < 64 && self.model.shared & (1 << c) != 0;
            if self.household_cap.is_some() && shared && full > 0.0 {
                gain += (base + adj).max(0.0);
                counted[c] = (base + adj).min(0.0);
            } else {
                counted[c] = base + adj;
                // Without its term-frequency adjustment: agreeing on a common given name is
                // weak evidence for a person, never evidence against one.
                evidence[c] = weights[c][level as usize];
            }
        }
        let groups = &self.model.groups;
        let n = gammas.len();
        let mut w = prior + model::grouped_sum(&counted[..n], &full_weights[..n], groups, 1.0);
        if let Some(cap) = self.household_cap {
            let personal = model::grouped_sum(&evidence[..n], &evidence[..n], groups, 1.0);
            w += model::household_gain(gain, personal, cap);
        }
        (w, w - raw)
    }

    /// Weight of comparison `c` at `level` for rows `a` and `b` blocked by the rules of `set`
    /// ([`Scorer::rule_set`]); only the TF adjustment when `c` is among the set's skipped
    /// comparisons. At the exact level the TF adjustment is that of the
    /// shared value, or of the commoner of two values graded exact (one phone number under two
    /// country codes), so that the weight never depends on which row comes first.
    #[must_use]
    pub fn weight(
        &self,
        comparisons: &[Comparison<'_>],
        c: usize,
        level: i8,
        (a, b): (usize, usize),
        set: &RuleSet<'_>,
    ) -> (f64, f64) {
        if level == NULL_LEVEL {
            return (0.0, 0.0);
        }
        // A determined comparison's average agreement is in the prior; how much rarer this
        // value is than the column's average (the TF adjustment) still counts.
        let base = if set.skipped & (1 << c) == 0 {
            set.weights[c][level as usize]
        } else {
            0.0
        };
        let adj = match &self.tf[c] {
            Some(tf) if level as usize == comparisons[c].n_levels - 1 => {
                let codes = &comparisons[c].column.codes;
                tf[codes[a] as usize].min(tf[codes[b] as usize])
            }
            _ => 0.0,
        };
        (base, adj)
    }
}

/// Match probability of match weight `w` (log2 odds).
#[must_use]
pub fn probability(w: f64) -> f64 {
    1.0 / (1.0 + (-w).exp2())
}

/// Term-frequency adjustment of each value code of `c`'s column, counted in `table` when given
/// (a value absent from it counts 0 records), else in the column itself.
fn tf_adjustments(c: &Comparison<'_>, table: Option<&TfTable>) -> Vec<f64> {
    let own = || c.column.counts.iter().map(|&k| u64::from(k));
    match table {
        None => adjustments(own(), c.column.non_null as u64, own()),
        Some(t) => {
            // Looked up from the column's values (the records scored), which are usually far
            // fewer than the table's (every record of a base).
            let code_of: FxHashMap<&str, usize> = c
                .column
                .values
                .iter()
                .enumerate()
                .map(|(code, v)| (v.as_str(), code))
                .collect();
            let mut per_code = vec![0u64; c.column.values.len()];
            for (v, k) in &t.values {
                if let Some(&code) = code_of.get(v.as_str()) {
                    per_code[code] = *k;
                }
            }
            adjustments(
                t.values.iter().map(|(_, k)| *k),
                t.total,
                per_code.into_iter(),
            )
        }
    }
}

/// How much rarer (or commoner) each value (records holding it: `per_code`) is than the
/// column's average chance of agreement between two random records (the sum of squared
/// frequencies over `all` the values' counts, `total` records having one). The value's
/// frequency is counted among the *other* records (one fewer, never below 0) and shrunk
/// towards that average, so small tables get small adjustments.
fn adjustments(
    all: impl Iterator<Item = u64>,
    total: u64,
    per_code: impl Iterator<Item = u64>,
) -> Vec<f64> {
    let n = total.max(1) as f64;
    // Summed in increasing count order, so the weights do not depend on the order of the
    // values (the order of the records, or of a table's rows) to the last bit.
    let mut counts: Vec<u64> = all.collect();
    counts.sort_unstable();
    let u_exact: f64 = counts
        .iter()
        .map(|&k| (k as f64 / n).powi(2))
        .sum::<f64>()
        .max(1e-12);
    let others = total.saturating_sub(1) as f64 + TF_PSEUDO_RECORDS;
    per_code
        .map(|k| {
            let tf = (k.saturating_sub(1) as f64 + TF_PSEUDO_RECORDS * u_exact) / others;
            (u_exact / tf).log2()
        })
        .collect()
}

/// The candidate pairs whose match probability reaches the threshold, in candidate order.
#[derive(Debug, Default)]
pub struct Matched {
    /// Indices into the candidate pairs.
    pub kept: Vec<usize>,
    /// Their match weights.
    pub weights: Vec<f64>,
}

/// The candidates whose match probability reaches `threshold`, with their match weights.
#[must_use]
pub fn matched_pairs(
    scorer: &Scorer<'_>,
    comparisons: &[Comparison<'_>],
    cands: &Candidates,
    graded: &Graded,
    threshold: f64,
) -> Matched {
    let n_comp = comparisons.len();
    let min_weight = (threshold / (1.0 - threshold)).log2();
    let scored: Vec<(usize, f64)> = cands
        .pairs
        .par_iter()
        .enumerate()
        .with_min_len(4096)
        .filter_map(|(i, &p)| {
            let (a, b) = unpack(p);
            let g = &graded.gammas[i * n_comp..(i + 1) * n_comp];
            let rows = (a as usize, b as usize);
            let (w, _) = scorer.pair_weight(comparisons, g, graded.masks[i], rows);
            (w >= min_weight).then_some((i, w))
        })
        .collect();
    let (kept, weights) = scored.into_iter().unzip();
    Matched { kept, weights }
}

#[cfg(test)]
mod tests {
    use super::adjustments;

    #[test]
    fn tf_adjustments_do_not_depend_on_the_order_of_the_values() {
        // Counts whose squared frequencies round differently when summed in another order.
        let counts: Vec<u64> = (1..200).map(|i| (i * 7919) % 97 + 1).collect();
        let total: u64 = counts.iter().sum();
        let forward = adjustments(counts.iter().copied(), total, [1, 5, 40].into_iter());
        let backward = adjustments(counts.iter().rev().copied(), total, [1, 5, 40].into_iter());
        assert_eq!(
            forward.iter().map(|w| w.to_bits()).collect::<Vec<_>>(),
            backward.iter().map(|w| w.to_bits()).collect::<Vec<_>>()
        );
    }
}
