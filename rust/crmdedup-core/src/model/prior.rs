//! The prior of a candidate pair: the chance it is a match before looking at it, fitted by EM
//! with m and u fixed, once over all candidates and once per set of blocking rules a pair
//! satisfies (over the comparisons those rules do not determine).
//!
//! A set's EM cannot tell its matches from its non-matches when what is left to compare is
//! mostly disagreement that the set selects for (people who moved, changed phone or email):
//! it then drives the set's prior down however strong the determined agreement is (a full name
//! and a birth date). So a set's prior is never below what its determined *personal*
//! comparisons (not [`shared`](crate::settings::ComparisonSpec::shared): a given name, a birth
//! date, a personal email) say by themselves, from the chance that two random records match
//! and the random-pair u. Shared values (a surname, an address, a company) add nothing to that
//! floor: colleagues and households share them.
//!
//! A set's EM runs over every pair whose rules *include* the set's, not only the pairs with
//! exactly those rules. The pairs with exactly a set's rules are censored: a pair found by
//! the full name and the phone but not by the email rule cannot agree on the email, so EM over
//! them alone sees every pair disagree on it and, once the set has more pairs than the
//! shrinkage holds (a base of a million records), drives its prior far down (the same full
//! name, phone and address at 0.7). Among all pairs found by at least those rules, the email
//! agrees as often as it does among matches, and its disagreement weighs what it should. A pair
//! whose further rules read a field the set reads only through a coarse key (a phonetic code,
//! a prefix, an email's local part) is left out of the set's EM: there, those rules select
//! closer agreement on a field whose fuzzy levels the set's own key makes common among
//! non-matches. So is a pair whose further rules read a column no comparison reads (nothing
//! in a pair of the set itself would show it lacks that agreement). Pairs blocked by no rule
//! (mask 0: pairs given to be scored) are fitted among themselves.

use super::em::{Row, posterior};
use super::{FLOOR, Group, Model, PSEUDO_PAIRS};
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

/// Weight, in pairs, of a set of rules' starting point (its target) in its fitted prior. Each
/// set is fitted over every pair found by at least its rules, so a set rests on more pairs
/// than its own: 200 (1,000 when sets were fitted on their own pairs alone) lets a set of a
/// few hundred pairs speak for itself.
const RULE_PRIOR_PAIRS: f64 = 200.0;

/// What each blocking rule tells about the comparisons (bit `c` of each `u64`), per rule.
#[derive(Clone, Copy, Debug)]
pub struct RuleFields<'a> {
    /// The comparisons whose whole value is one of the rule's keys (see
    /// [`rule_determines`](crate::block::rule_determines)).
    pub determines: &'a [u64],
    /// The comparisons whose column one of the rule's keys reads, whole or through a key
    /// function, and [`UNCOMPARED`] when a key reads a column no comparison reads (see
    /// [`rule_reads`](crate::block::rule_reads)).
    pub reads: &'a [u64],
}

impl RuleFields<'_> {
    /// The union of what the rules in `mask` read.
    fn read_by(&self, mask: u32) -> u64 {
        union_of(self.reads, mask)
    }

    /// Whether a pair blocked by the rules in `pair_mask` belongs to the EM of the set `mask`:
    /// it has all the set's rules, and its further rules read none of `coarse`, the fields the
    /// set reads without determining them (see the module).
    pub(crate) fn in_population(&self, mask: u32, coarse: u64, pair_mask: u32) -> bool {
        if mask == 0 {
            return pair_mask == 0;
        }
        pair_mask & mask == mask && self.read_by(pair_mask & !mask) & (coarse | UNCOMPARED) == 0
    }
}

/// Bit of [`RuleFields::reads`] for a rule with a key on a column no comparison reads.
pub const UNCOMPARED: u64 = 1 << 63;

/// The union of the bit sets of the rules (at most 32) in `mask`.
fn union_of(per_rule: &[u64], mask: u32) -> u64 {
    per_rule
        .iter()
        .enumerate()
        .filter(|(r, _)| *r < 32 && mask & (1 << r) != 0)
        .fold(0, |acc, (_, d)| acc | d)
}

/// Comparisons (bit `c`) that a pair blocked by the rules in `mask` agrees on by construction:
/// the union of what those rules determine. Their agreement is no evidence beyond the prior of
/// `mask` (it is what put the pair there), so they are left out of that pair's weight. When the
/// rules determine every comparison, none is left out: there would be nothing else to score.
#[must_use]
pub fn determined(determines: &[u64], mask: u32, n_comp: usize) -> u64 {
    let bits = union_of(determines, mask);
    let all = if n_comp >= 64 {
        u64::MAX
    } else {
        (1u64 << n_comp) - 1
    };
    if bits & all == all { 0 } else { bits }
}

/// The prior of each set of rules, by EM with m and u fixed over the comparisons the set does
/// not determine, among the pairs whose rules include the set's (see the module), shrunk by
/// [`RULE_PRIOR_PAIRS`] pairs towards `bounds.target(determined)`, what the agreement on the
/// determined comparisons says by itself (or towards `global` when the set determines none),
/// and never below `bounds.floor(determined)`, what the determined
/// personal comparisons say by themselves (see the module); then refitted with the set's own
/// u ([`fit_set_u`]), returned beside it. A set whose pairs leave nothing else to compare (all
/// null) keeps the target instead of an average over unlike pairs.
pub(crate) fn rule_priors(
    rows: &[Row<'_>],
    fixed: &Fixed<'_>,
    global: f64,
    bounds: &Bounds<'_>,
    rules: RuleFields<'_>,
    em: &EmSettings,
    groups: &[Group],
) -> Vec<(u32, f64, Vec<Vec<f64>>)> {
    let (m, u, household) = (fixed.m, fixed.u, fixed.household);
    let mut masks: Vec<u32> = rows.iter().map(|r| r.1).collect();
    masks.sort_unstable();
    masks.dedup();
    masks
        .into_iter()
        .map(|mask| {
            let skip = determined(rules.determines, mask, m.len());
            let coarse = rules.read_by(mask) & !skip;
            let group: Vec<&Row<'_>> = rows
                .iter()
                .filter(|r| rules.in_population(mask, coarse, r.1))
                .collect();
            let all: Vec<bool> = (0..m.len()).map(|c| skip & (1 << c) == 0).collect();
            let total: f64 = group.iter().map(|r| r.2).sum();
            let start = if skip == 0 {
                global
            } else {
                (bounds.target)(skip)
            };
            let matched = |prior: f64| -> f64 {
                group
                    .iter()
                    .map(|(g, _, n)| posterior(g, &all, m, u, prior, household, groups) * n)
                    .sum()
            };
            let fitted = fit_prior(start, total, RULE_PRIOR_PAIRS, em, matched);
            let floor = if skip == 0 { 0.0 } else { (bounds.floor)(skip) };
            let population = Population {
                rows: &group,
                active: &all,
                start,
                total,
            };
            let (fitted, set_u) = fit_set_u(&population, fixed, fitted, floor, em, groups);
            (mask, fitted, set_u)
        })
        .collect()
}

/// Weight, in non-match pairs, of the u fitted over all candidates in each set's own u.
const SET_U_PAIRS: f64 = 5000.0;

/// Rounds of a set's EM over its u and prior (m fixed).
const SET_U_ROUNDS: usize = 3;

/// The pairs a set of rules is fitted over, the comparisons it does not determine, where its
/// prior starts and how many pairs it holds.
struct Population<'a, 'r> {
    rows: &'a [&'a Row<'r>],
    active: &'a [bool],
    start: f64,
    total: f64,
}

/// A set's own u, and its prior refitted with it, by EM with m fixed: each comparison's level
/// frequencies among the set's expected non-matches, shrunk towards the candidates' u by
/// [`SET_U_PAIRS`] pairs. Who the non-matches are depends on the rules that found them: two
/// records sharing a phone are mostly one household, and share its email too; two sharing a
/// name and a birth date are rarely two people. A u averaged over every rule's pairs is wrong
/// for both, and more so as the base grows (at a million records an exact email, phone or
/// birth date weighed 3 to 4 bits instead of 10 to 14). The prior stays at or above `floor`.
fn fit_set_u(
    population: &Population<'_, '_>,
    fixed: &Fixed<'_>,
    prior: f64,
    floor: f64,
    em: &EmSettings,
    groups: &[Group],
) -> (f64, Vec<Vec<f64>>) {
    let (m, u, household) = (fixed.m, fixed.u, fixed.household);
    let active = population.active;
    let mut set_u: Vec<Vec<f64>> = u.to_vec();
    let mut prior = prior.max(floor);
    for _ in 0..SET_U_ROUNDS {
        let mut num: Vec<Vec<f64>> = set_u.iter().map(|x| vec![0.0; x.len()]).collect();
        let mut den = vec![0.0; set_u.len()];
        for (gamma, _, n) in population.rows {
            let p = posterior(gamma, active, m, &set_u, prior, household, groups);
            for (c, &l) in gamma.iter().enumerate() {
                if l != crate::compare::NULL_LEVEL && active[c] {
                    num[c][l as usize] += (1.0 - p) * n;
                    den[c] += (1.0 - p) * n;
                }
            }
        }
        for (c, levels) in set_u.iter_mut().enumerate().filter(|(c, _)| active[*c]) {
            for (l, value) in levels.iter_mut().enumerate() {
                *value = ((num[c][l] + SET_U_PAIRS * u[c][l]) / (den[c] + SET_U_PAIRS)).max(FLOOR);
            }
        }
        let matched = |prior: f64| -> f64 {
            population
                .rows
                .iter()
                .map(|(g, _, n)| posterior(g, active, m, &set_u, prior, household, groups) * n)
                .sum()
        };
        let start = population.start;
        prior = fit_prior(start, population.total, RULE_PRIOR_PAIRS, em, matched).max(floor);
    }
    (prior, set_u)
}

/// Where each set's prior starts (and is shrunk towards) and below which it never goes, as
/// functions of the comparisons (bit `c`) the set determines.
pub(crate) struct Bounds<'a> {
    pub(crate) target: &'a dyn Fn(u64) -> f64,
    pub(crate) floor: &'a dyn Fn(u64) -> f64,
}

/// Fitted m and u, and the household cap in natural-log units, fixed while priors are fitted.
pub(crate) struct Fixed<'a> {
    pub(crate) m: &'a [Vec<f64>],
    pub(crate) u: &'a [Vec<f64>],
    pub(crate) household: Option<(u64, f64)>,
}

/// The prior among all candidates with m and u fixed, by EM from `start_prior` and shrunk
/// towards it by [`PSEUDO_PAIRS`] pairs.
pub(crate) fn candidate_prior(
    rows: &[Row<'_>],
    fixed: &Fixed<'_>,
    start_prior: f64,
    em: &EmSettings,
) -> f64 {
    let all = vec![true; fixed.m.len()];
    let total: f64 = rows.iter().map(|r| r.2).sum();
    fit_prior(start_prior, total, PSEUDO_PAIRS, em, |prior| {
        rows.iter()
            .map(|(g, _, n)| posterior(g, &all, fixed.m, fixed.u, prior, fixed.household, &[]) * n)
            .sum()
    })
}

/// Set the model's prior and, when u was re-estimated among the candidates, the prior of each
/// set of rules; else the candidate prior scaled to the chance that two random records match.
#[allow(clippy::too_many_arguments)] // the fitted model's parts, passed apart while they are fitted
pub(crate) fn set_priors(
    model: &mut Model,
    rows: &[Row<'_>],
    fixed: &Fixed<'_>,
    random_u: &[Vec<f64>],
    prior: f64,
    rules: RuleFields<'_>,
    em: &EmSettings,
    all_pairs: f64,
) {
    let candidates: f64 = rows.iter().map(|r| r.2).sum();
    let base = (prior * candidates / all_pairs.max(1.0)).clamp(1e-15, 1.0 - FLOOR);
    if !em.estimate_u {
        model.prior = base;
        return;
    }
    // What agreeing on the determined comparisons says by itself, from the chance that two
    // random records match and the random-pair u: the starting point of each set's prior.
    let evidence = |skip: u64| determined_evidence(model, random_u, fixed.household, base, skip);
    let personal = |skip: u64| personal_evidence(model, random_u, base, skip);
    let bounds = Bounds {
        target: &evidence,
        floor: &personal,
    };
    let priors = rule_priors(rows, fixed, prior, &bounds, rules, em, &model.groups);
    model.prior = prior;
    model.rule_priors = priors.iter().map(|(mask, p, _)| (*mask, *p)).collect();
    model.set_u = priors.into_iter().map(|(mask, _, u)| (mask, u)).collect();
}

/// Match probability of a pair from agreeing on the comparisons in `skip` alone, from the
/// chance `base` that two random records match and the random-pair u.
fn determined_evidence(
    model: &Model,
    random_u: &[Vec<f64>],
    household: Option<(u64, f64)>,
    base: f64,
    skip: u64,
) -> f64 {
    let mut logit = (base / (1.0 - base)).ln();
    let mut shared_gain = 0.0;
    for (c, w) in exact_log_ratios(model, random_u, skip) {
        if household.is_some_and(|(shared, _)| shared & (1 << c) != 0) && w > 0.0 {
            shared_gain += w;
        } else {
            logit += w;
        }
    }
    logit += household.map_or(shared_gain, |(_, cap)| shared_gain.min(cap));
    probability_of_logit(logit)
}

/// Match probability of a pair from agreeing on the comparisons in `skip` that are not shared
/// alone (a given name, a birth date), from the chance `base` that two random records match
/// and the random-pair u: the floor of a set's prior (see the module).
fn personal_evidence(model: &Model, random_u: &[Vec<f64>], base: f64, skip: u64) -> f64 {
    let personal = skip & !model.shared;
    let logit = exact_log_ratios(model, random_u, personal)
        .fold((base / (1.0 - base)).ln(), |logit, (_, w)| logit + w);
    probability_of_logit(logit)
}

/// Each comparison `c` in `skip` with ln(m / random-pair u) of its exact level.
fn exact_log_ratios<'a>(
    model: &'a Model,
    random_u: &'a [Vec<f64>],
    skip: u64,
) -> impl Iterator<Item = (usize, f64)> + 'a {
    model
        .comparisons
        .iter()
        .enumerate()
        .filter(move |(c, _)| *c < 64 && skip & (1 << c) != 0)
        .map(|(c, params)| {
            let top = params.m.len() - 1;
            (
                c,
                (params.m[top].max(FLOOR) / random_u[c][top].max(FLOOR)).ln(),
            )
        })
}

/// Probability of a natural-log odds, kept strictly inside (0, 1).
fn probability_of_logit(logit: f64) -> f64 {
    (1.0 / (1.0 + (-logit).exp())).clamp(FLOOR, 1.0 - FLOOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_set_of_rules_weighs_its_pairs_with_its_own_non_matches_u() {
        // Comparisons: 0 a landline, 1 a given name, 2 an email (levels: else, exact).
        let m = vec![vec![0.05, 0.95], vec![0.0005, 0.9995], vec![0.1, 0.9]];
        let u = vec![vec![0.999, 0.001], vec![0.99, 0.01], vec![0.999, 0.001]];
        let fixed = Fixed {
            m: &m,
            u: &u,
            household: None,
        };
        // Rule 0 (the landline, comparison 0): 3,000 duplicates, and 6,000 members of
        // households, half of whom share its email. Rule 1 (the given name with a birth date,
        // comparison 1): 3,000 duplicates and 6,000 namesakes who almost never share an email.
        let patterns: Vec<(Vec<i8>, u32, f64)> = vec![
            (vec![1, 1, 1], 0b01, 3_000.0),
            (vec![1, 0, 1], 0b01, 3_000.0),
            (vec![1, 0, 0], 0b01, 3_000.0),
            (vec![1, 1, 1], 0b10, 3_000.0),
            (vec![0, 1, 0], 0b10, 5_990.0),
            (vec![0, 1, 1], 0b10, 10.0),
        ];
        let rows: Vec<Row<'_>> = patterns
            .iter()
            .map(|(g, r, n)| (g.as_slice(), *r, *n))
            .collect();
        let rules = RuleFields {
            determines: &[0b001, 0b010],
            reads: &[0b001, 0b010],
        };
        let half = |_: u64| 0.5;
        let zero = |_: u64| 0.0;
        let bounds = Bounds {
            target: &half,
            floor: &zero,
        };
        let em = EmSettings {
            max_iterations: 200,
            tolerance: 1e-9,
            u_sample_size: 0,
            seed: 1,
            estimate_u: true,
        };
        let sets = rule_priors(&rows, &fixed, 0.5, &bounds, rules, &em, &[]);
        let email_u = |mask: u32| {
            sets.iter()
                .find(|s| s.0 == mask)
                .map(|s| s.2[2][1])
                .unwrap()
        };
        // Among the landline's non-matches an exact email is common, among the name's rare:
        // there it stays the candidates' u, and the households' shared email weighs little.
        let (landline, name) = (email_u(0b01), email_u(0b10));
        assert!(
            landline > 0.1,
            "u of an exact email among the landline's pairs: {landline}"
        );
        assert!(
            name < 0.003,
            "u of an exact email among the name's pairs: {name}"
        );
        // The landline's duplicates still score as matches, its households sharing an email not.
        let set = sets.iter().find(|s| s.0 == 0b01).unwrap();
        let all = [false, true, true];
        let p = |g: &[i8]| posterior(g, &all, &m, &set.2, set.1, None, &[]);
        assert!(
            p(&[1, 1, 1]) > 0.99 && p(&[1, 0, 1]) < 0.1,
            "{} {}",
            p(&[1, 1, 1]),
            p(&[1, 0, 1])
        );
    }

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
