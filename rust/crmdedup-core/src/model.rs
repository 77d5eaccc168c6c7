//! The Fellegi–Sunter model: m and u probabilities per comparison level, the prior, and how they
//! are estimated without labels.
//!
//! u comes from a seeded random sample of record pairs; m from expectation–maximisation over the
//! histogram of comparison patterns of the candidate pairs, one session per blocking rule with the
//! comparisons that rule blocks on left out (they agree by construction there); the prior from a
//! last EM pass over all candidates with m and u fixed. Only pattern counts are needed, so fitting
//! costs the same at a thousand or a billion pairs.
//!
//! Each set of blocking rules a pair satisfies then gets its own prior, fitted on the comparisons
//! those rules do not determine (a rule on `address, postcode` determines both: its pairs agree
//! on them by construction). Scoring leaves the determined comparisons out of the weight, all
//! but their term-frequency adjustment, so agreeing on the key a pair was found by is counted
//! once, in the prior. Counting it twice made every household sharing an address a match.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::compare::{Comparison, NULL_LEVEL, level_labels};
use crate::error::{Error, Result};
use crate::settings::{EmSettings, Settings};

/// Smallest probability a level may take, so that weights stay finite.
const FLOOR: f64 = 1e-7;

/// Fewer random pairs than this (about 45 records) and the defaults are used unfitted.
pub const MIN_PAIRS_TO_FIT: u64 = 1000;

/// Weight, in pairs, of the default parameters in every estimate (a Dirichlet prior): on large
/// data it vanishes, on a handful of records it keeps estimates sane instead of degenerate.
const PSEUDO_PAIRS: f64 = 10.0;

/// Weight, in pairs, of the random-pair u when u is re-estimated among the candidates.
const U_PRIOR_PAIRS: f64 = 1000.0;

/// Fitted parameters of one comparison.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ComparisonParams {
    /// Comparison name.
    pub name: String,
    /// Level labels, index = level (0 = else, last = exact).
    pub levels: Vec<String>,
    /// P(level | match).
    pub m: Vec<f64>,
    /// P(level | non-match).
    pub u: Vec<f64>,
}

impl ComparisonParams {
    /// Match weight (log2 Bayes factor) of each level.
    #[must_use]
    pub fn weights(&self) -> Vec<f64> {
        self.m
            .iter()
            .zip(&self.u)
            .map(|(m, u)| (m.max(FLOOR) / u.max(FLOOR)).log2())
            .collect()
    }
}

/// How fitting went.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct FitReport {
    /// Random pairs sampled for u.
    pub u_pairs_sampled: u64,
    /// EM iterations per blocking-rule session.
    pub iterations: Vec<u32>,
    /// Whether each session converged before the iteration cap.
    pub converged: Vec<bool>,
    /// Distinct comparison patterns EM worked on.
    pub patterns: usize,
}

/// A fitted (or default) Fellegi–Sunter model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Model {
    /// Format version of the JSON.
    pub format: u32,
    /// Probability that a candidate pair is a match, before looking at it.
    pub prior: f64,
    /// Per-comparison parameters, in settings order.
    pub comparisons: Vec<ComparisonParams>,
    /// Prior per set of blocking rules a pair satisfies (bit `r` = rule `r`), as
    /// `[rules, prior]`: a pair sharing an email is likelier a match than one that only shares
    /// a common surname. Sets not listed use `prior`.
    #[serde(default)]
    pub rule_priors: Vec<(u32, f64)>,
    /// Comparisons (bit `c`) whose values people living or working together share (see
    /// [`crate::settings::ComparisonSpec::shared`]).
    #[serde(default)]
    pub shared: u64,
    /// Chance that two random records agree on every shared value they both hold (at least
    /// two): the odds of "same household". Agreement on shared comparisons is one fact, not
    /// one per column, so its summed weight is capped at [`Model::household_cap`].
    #[serde(default)]
    pub household_u: Option<f64>,
    /// Groups of comparisons that describe one fact (see
    /// [`crate::settings::ComparisonSpec::group`]).
    #[serde(default)]
    pub groups: Vec<Group>,
    /// How the model was obtained.
    pub fit: FitReport,
}

impl Model {
    /// The documented starting point: m rises and u falls towards exact agreement.
    ///
    /// m puts 0.05 on "else", 0.25 over the fuzzy levels (more on stricter ones) and the rest on
    /// exact; u puts 0.001 on exact, 0.01 on each fuzzy level and the rest on "else". The prior
    /// is 0.1.
    #[must_use]
    pub fn defaults(settings: &Settings) -> Self {
        let comparisons = settings
            .comparisons
            .iter()
            .map(|spec| {
                let levels = level_labels(spec);
                let fuzzy = levels.len() - 2;
                let mut m = vec![0.05];
                let mut u = vec![1.0 - 0.001 - 0.01 * fuzzy as f64];
                let spread = (fuzzy * (fuzzy + 1) / 2).max(1) as f64;
                for k in 1..=fuzzy {
                    m.push(0.25 * k as f64 / spread);
                    u.push(0.01);
                }
                m.push(if fuzzy == 0 { 0.95 } else { 0.70 });
                u.push(0.001);
                ComparisonParams {
                    name: spec.name.clone(),
                    levels,
                    m,
                    u,
                }
            })
            .collect();
        Self {
            format: 1,
            prior: 0.1,
            comparisons,
            rule_priors: Vec::new(),
            shared: settings
                .comparisons
                .iter()
                .enumerate()
                .filter(|(_, c)| c.shared)
                .fold(0, |acc, (i, _)| acc | (1 << i)),
            household_u: None,
            groups: groups_of(settings),
            fit: FitReport::default(),
        }
    }

    /// Most weight (log2) that agreement on the shared comparisons may add to a pair: what
    /// agreeing on all of them says, `m / household_u` with `m` the smallest exact-level m
    /// among them. `None` without an estimate or with fewer than two shared comparisons.
    #[must_use]
    pub fn household_cap(&self) -> Option<f64> {
        let m = self.m_shared(self.comparisons.iter().map(|c| c.m.as_slice()))?;
        Some((m / self.household_u?.max(FLOOR)).log2().max(0.0))
    }

    fn m_shared<'a>(&self, m: impl Iterator<Item = &'a [f64]>) -> Option<f64> {
        let tops: Vec<f64> = m
            .enumerate()
            .filter(|(c, _)| *c < 64 && self.shared & (1 << c) != 0)
            .filter_map(|(_, m)| m.last().copied())
            .collect();
        (tops.len() >= 2).then(|| tops.iter().copied().fold(1.0, f64::min))
    }

    /// [`Model::household_cap`] for m values in the making (EM), in natural-log units.
    fn household_cap_ln(&self, m: &[Vec<f64>]) -> Option<(u64, f64)> {
        let top = self.m_shared(m.iter().map(Vec::as_slice))?;
        Some((
            self.shared,
            (top / self.household_u?.max(FLOOR)).ln().max(0.0),
        ))
    }

    /// Check the model has the comparisons and levels of `settings`.
    ///
    /// # Errors
    /// [`Error::Model`] naming the first difference.
    pub fn check_fits(&self, settings: &Settings) -> Result<()> {
        if self.comparisons.len() != settings.comparisons.len() {
            return Err(Error::Model(format!(
                "it has {} comparisons, the settings {}",
                self.comparisons.len(),
                settings.comparisons.len()
            )));
        }
        for (p, spec) in self.comparisons.iter().zip(&settings.comparisons) {
            let labels = level_labels(spec);
            if p.name != spec.name
                || p.levels != labels
                || p.m.len() != labels.len()
                || p.u.len() != labels.len()
            {
                return Err(Error::Model(format!(
                    "comparison `{}` has levels {:?}, the settings' `{}` has {:?}",
                    p.name, p.levels, spec.name, labels
                )));
            }
        }
        if !(self.prior > 0.0 && self.prior < 1.0) {
            return Err(Error::Model(format!(
                "prior {} is not strictly between 0 and 1",
                self.prior
            )));
        }
        Ok(())
    }

    /// Serialise to JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parse from JSON.
    ///
    /// # Errors
    /// [`Error::Model`] when the JSON is not a model.
    pub fn from_json(json: &str) -> Result<Self> {
        let model: Self = serde_json::from_str(json).map_err(|e| Error::Model(e.to_string()))?;
        model.check_parameters()?;
        Ok(model)
    }

    /// Check that the parameters are probabilities: finite, in [0, 1], each comparison's m and
    /// u summing to 1 over as many values as it has levels, and priors strictly between 0 and 1.
    ///
    /// # Errors
    /// [`Error::Model`] naming the JSON path of the first bad value, e.g. `comparisons[2].m[1]`.
    pub fn check_parameters(&self) -> Result<()> {
        /// Rounding allowed in a sum of probabilities (fitted values are floored at 1e-7).
        const SUM_TOLERANCE: f64 = 1e-3;
        let bad = |path: String, what: String| Err(Error::Model(format!("`{path}` {what}")));
        let strict = |p: f64| p.is_finite() && p > 0.0 && p < 1.0;
        if !strict(self.prior) {
            return bad(
                "prior".into(),
                format!(
                    "is {}, expected a number strictly between 0 and 1",
                    self.prior
                ),
            );
        }
        for (i, (set, p)) in self.rule_priors.iter().enumerate() {
            if !strict(*p) {
                return bad(
                    format!("rule_priors[{i}][1]"),
                    format!("(rules {set}) is {p}, expected a number strictly between 0 and 1"),
                );
            }
        }
        for (i, c) in self.comparisons.iter().enumerate() {
            let levels = c.levels.len();
            if levels < 2 {
                return bad(
                    format!("comparisons[{i}].levels"),
                    format!("has {levels} levels, expected at least 2 (else and exact)"),
                );
            }
            for (key, values) in [("m", &c.m), ("u", &c.u)] {
                let path = format!("comparisons[{i}].{key}");
                if values.len() != levels {
                    return bad(
                        path,
                        format!("has {} values for {levels} levels", values.len()),
                    );
                }
                if let Some((j, v)) = values
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !(v.is_finite() && (0.0..=1.0).contains(*v)))
                {
                    return bad(
                        format!("{path}[{j}]"),
                        format!("is {v}, expected a probability in [0, 1]"),
                    );
                }
                let sum: f64 = values.iter().sum();
                if (sum - 1.0).abs() > SUM_TOLERANCE {
                    return bad(path, format!("sums to {sum}, expected 1"));
                }
            }
        }
        Ok(())
    }

    /// Prior expressed as a match weight.
    #[must_use]
    pub fn prior_weight(&self) -> f64 {
        (self.prior / (1.0 - self.prior)).log2()
    }
}

/// Comparisons that describe one fact (an address: street, number, postcode, city).
///
/// Under the independence of Fellegi–Sunter, a record that moved disagrees on four fields and
/// is four times unlikely. How often matches disagree on the whole group at once is measured
/// instead (`floor`), and a pair's summed disagreement over the group is never weighed below
/// it: where moves are common (one source is years older) a move costs what it costs; where
/// fields are mistyped independently, the floor is far below and changes nothing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Group {
    /// Bit `c` for comparison `c`.
    pub comparisons: u64,
    /// log2 of P(every field of the group disagrees | match) / P(... | non-match), measured
    /// when fitting; `None` before.
    pub floor: Option<f64>,
}

/// One group per distinct non-empty comparison group name, in order of first appearance.
fn groups_of(settings: &Settings) -> Vec<Group> {
    let mut names: Vec<&str> = Vec::new();
    let mut masks: Vec<u64> = Vec::new();
    for (c, spec) in settings.comparisons.iter().enumerate() {
        if spec.group.is_empty() || c >= 64 {
            continue;
        }
        if let Some(i) = names.iter().position(|n| *n == spec.group) {
            masks[i] |= 1 << c;
        } else {
            names.push(&spec.group);
            masks.push(1 << c);
        }
    }
    masks
        .into_iter()
        .map(|comparisons| Group {
            comparisons,
            floor: None,
        })
        .collect()
}

/// Sum of `weights` (one per comparison, 0 for missing) where each measured group's summed
/// negative weight is raised to its floor (`scale` converts the floor's log2 units, e.g.
/// `ln 2` for natural logs).
#[must_use]
pub fn grouped_sum(weights: &[f64], groups: &[Group], scale: f64) -> f64 {
    let mut total: f64 = weights.iter().sum();
    for group in groups {
        let Some(floor) = group.floor else { continue };
        let loss: f64 = weights
            .iter()
            .enumerate()
            .filter(|&(c, &w)| c < 64 && group.comparisons & (1 << c) != 0 && w < 0.0)
            .map(|(_, w)| w)
            .sum();
        total += (floor * scale - loss).max(0.0);
    }
    total
}

/// Measure each group's floor (see [`Group`]) on the candidates: among pairs holding at least
/// two of its fields, weighted by their match probability, how often every field disagrees
/// (shrunk towards what independence predicts, by 10 pairs). The match probabilities use the
/// floors being measured, starting from independence, for a few rounds: weighing pairs by
/// the other comparisons alone would count homonyms that live apart as moved matches.
fn measure_groups(
    groups: &mut [Group],
    rows: &[(&[i8], u32, f64)],
    m: &[Vec<f64>],
    u: &[Vec<f64>],
    prior: f64,
    household: Option<(u64, f64)>,
) {
    let all_active = vec![true; m.len()];
    let member = |g: &Group, c: usize| c < 64 && g.comparisons & (1 << c) != 0;
    let bounds: Vec<(f64, f64)> = groups
        .iter()
        .map(|g| {
            let members = (0..m.len()).filter(|&c| member(g, c));
            let independent: f64 = members.clone().map(|c| m[c][0].max(FLOOR)).product();
            let u_all: f64 = members.map(|c| u[c][0].max(FLOOR)).product();
            (independent, u_all)
        })
        .collect();
    for _ in 0..5 {
        let current = groups.to_vec();
        for (group, &(independent, u_all)) in groups.iter_mut().zip(&bounds) {
            let (mut all, mut held) = (0.0, 0.0);
            for (gamma, _, n) in rows {
                let levels: Vec<i8> = (0..gamma.len())
                    .filter(|&c| member(group, c) && gamma[c] != NULL_LEVEL)
                    .map(|c| gamma[c])
                    .collect();
                if levels.len() < 2 {
                    continue;
                }
                let p = posterior(gamma, &all_active, m, u, prior, household, &current) * n;
                held += p;
                if levels.iter().all(|&l| l == 0) {
                    all += p;
                }
            }
            let joint = (all + 10.0 * independent) / (held + 10.0);
            group.floor = Some((joint.max(FLOOR) / u_all.max(FLOOR)).log2());
        }
    }
}

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

/// Estimate u from random `pairs` (see [`sample_pairs`]), starting from `model`'s u (worth
/// [`PSEUDO_PAIRS`] pairs).
#[must_use]
pub fn estimate_u(
    model: &Model,
    comparisons: &[Comparison<'_>],
    pairs: &[(usize, usize)],
) -> Vec<Vec<f64>> {
    comparisons
        .iter()
        .zip(&model.comparisons)
        .map(|(c, params)| {
            let counts = pairs
                .par_iter()
                .with_min_len(4096)
                .fold(
                    || vec![0u64; c.n_levels],
                    |mut acc, &(a, b)| {
                        let l = c.level(a, b);
                        if l != NULL_LEVEL {
                            acc[l as usize] += 1;
                        }
                        acc
                    },
                )
                .reduce(
                    || vec![0u64; c.n_levels],
                    |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect(),
                );
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
/// `model.shared`) they both hold, among the `pairs` holding at least two (see
/// [`Model::household_u`]); `None` with fewer than two shared comparisons.
#[must_use]
pub fn household_u(
    model: &Model,
    comparisons: &[Comparison<'_>],
    pairs: &[(usize, usize)],
) -> Option<f64> {
    let shared: Vec<&Comparison<'_>> = comparisons
        .iter()
        .enumerate()
        .filter(|(c, _)| *c < 64 && model.shared & (1 << c) != 0)
        .map(|(_, comp)| comp)
        .collect();
    if shared.len() < 2 {
        return None;
    }
    let (agree, held) = pairs
        .par_iter()
        .with_min_len(4096)
        .map(|&(a, b)| {
            let mut held = 0;
            let mut all = true;
            for c in &shared {
                let l = c.level(a, b);
                if l != NULL_LEVEL {
                    held += 1;
                    all &= l as usize == c.n_levels - 1;
                }
            }
            (u64::from(held >= 2 && all), u64::from(held >= 2))
        })
        .reduce(|| (0, 0), |x, y| (x.0 + y.0, x.1 + y.1));
    Some((agree as f64 + 0.5) / (held as f64 + 1.0))
}

/// Histogram of comparison patterns: (levels, rules that block the pair) → pairs.
pub type Patterns = FxHashMap<(Vec<i8>, u32), u64>;

/// Sorted for determinism: hash map order never reaches the numbers.
fn sorted(patterns: &Patterns) -> Vec<(&[i8], u32, f64)> {
    let mut v: Vec<(&[i8], u32, f64)> = patterns
        .iter()
        .map(|((g, r), n)| (g.as_slice(), *r, *n as f64))
        .collect();
    v.sort_unstable_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
    v
}

/// Match probability of a pattern; `household = Some((shared, cap))` caps the summed positive
/// log-ratio of the shared comparisons at `cap` (natural log), as scoring does.
fn posterior(
    gamma: &[i8],
    active: &[bool],
    m: &[Vec<f64>],
    u: &[Vec<f64>],
    prior: f64,
    household: Option<(u64, f64)>,
    groups: &[Group],
) -> f64 {
    let mut counted = [0.0f64; crate::settings::MAX_COMPARISONS];
    let mut gain = 0.0;
    for (c, &g) in gamma.iter().enumerate() {
        if g != NULL_LEVEL && active[c] {
            let w = m[c][g as usize].max(FLOOR).ln() - u[c][g as usize].max(FLOOR).ln();
            match household {
                Some((shared, _)) if w > 0.0 && c < 64 && shared & (1 << c) != 0 => gain += w,
                _ => counted[c] = w,
            }
        }
    }
    // The cap and the groups as in scoring, but not the guard on personal evidence: it would
    // feed back into EM, pushing duplicates with a mistyped name into the non-match class
    // (and their agreement into u).
    let mut log_odds = prior.ln() - (1.0 - prior).ln()
        + grouped_sum(&counted[..gamma.len()], groups, std::f64::consts::LN_2);
    if let Some((_, cap)) = household {
        log_odds += gain.min(cap);
    }
    1.0 / (1.0 + (-log_odds).exp())
}

/// Fit m (per blocking-rule session) and the prior by EM over `patterns`.
///
/// `blocked[rule][c]` says whether comparison `c` reads a column rule `rule` blocks on;
/// `determines[rule]` has bit `c` set when the rule's key is comparison `c`'s whole value, so
/// that every pair the rule finds agrees exactly on it (see [`determined`]).
/// `all_pairs` is the number of record pairs there are (not only candidates): when u is not
/// re-estimated among the candidates, m and u describe random pairs, so the prior must be the
/// chance that two random records match, not that a candidate pair does.
pub fn fit_em(
    model: &mut Model,
    patterns: &Patterns,
    blocked: &[Vec<bool>],
    determines: &[u64],
    em: &EmSettings,
    all_pairs: f64,
) {
    let rows = sorted(patterns);
    let n_comp = model.comparisons.len();
    let u: Vec<Vec<f64>> = model.comparisons.iter().map(|c| c.u.clone()).collect();
    let random_u = u.clone();
    let start_m: Vec<Vec<f64>> = model.comparisons.iter().map(|c| c.m.clone()).collect();
    let start_prior = model.prior;
    let mut sum_m: Vec<Vec<f64>> = start_m.iter().map(|m| vec![0.0; m.len()]).collect();
    let mut sum_u: Vec<Vec<f64>> = u.iter().map(|x| vec![0.0; x.len()]).collect();
    let mut sessions = vec![0u32; n_comp];
    model.fit.patterns = rows.len();
    for (rule, blocked_here) in blocked.iter().enumerate() {
        let active: Vec<bool> = blocked_here.iter().map(|b| !b).collect();
        let session: Vec<&(&[i8], u32, f64)> = rows
            .iter()
            .filter(|r| r.1 & (1 << rule.min(31)) != 0)
            .collect();
        if session.is_empty() || !active.iter().any(|a| *a) {
            model.fit.iterations.push(0);
            model.fit.converged.push(false);
            continue;
        }
        let mut m = start_m.clone();
        let mut su = u.clone();
        let mut prior = model.prior;
        let mut iterations = 0;
        let mut converged = false;
        while iterations < em.max_iterations {
            iterations += 1;
            let mut num: Vec<Vec<f64>> = m.iter().map(|v| vec![0.0; v.len()]).collect();
            let mut den = vec![0.0; n_comp];
            let mut num_u: Vec<Vec<f64>> = m.iter().map(|v| vec![0.0; v.len()]).collect();
            let mut den_u = vec![0.0; n_comp];
            let (mut matched, mut total) = (0.0, 0.0);
            for (gamma, _, n) in &session {
                let p = posterior(
                    gamma,
                    &active,
                    &m,
                    &su,
                    prior,
                    model.household_cap_ln(&m),
                    &[],
                );
                matched += p * n;
                total += n;
                for (c, &g) in gamma.iter().enumerate() {
                    if g != NULL_LEVEL {
                        num[c][g as usize] += p * n;
                        den[c] += p * n;
                        num_u[c][g as usize] += (1.0 - p) * n;
                        den_u[c] += (1.0 - p) * n;
                    }
                }
            }
            let mut delta: f64 = 0.0;
            for c in 0..n_comp {
                if !active[c] || den[c] <= 0.0 {
                    continue;
                }
                for (l, v) in num[c].iter().enumerate() {
                    let new =
                        ((v + PSEUDO_PAIRS * start_m[c][l]) / (den[c] + PSEUDO_PAIRS)).max(FLOOR);
                    delta = delta.max((new - m[c][l]).abs());
                    m[c][l] = new;
                }
                if em.estimate_u && den_u[c] > 0.0 {
                    // u among the candidates, with the random-pair u as a prior worth
                    // `U_PRIOR_PAIRS`, so that levels few candidates reach stay rare.
                    for (l, v) in num_u[c].iter().enumerate() {
                        let new =
                            ((v + U_PRIOR_PAIRS * u[c][l]) / (den_u[c] + U_PRIOR_PAIRS)).max(FLOOR);
                        delta = delta.max((new - su[c][l]).abs());
                        su[c][l] = new;
                    }
                }
            }
            let new_prior = ((matched + PSEUDO_PAIRS * start_prior) / (total + PSEUDO_PAIRS))
                .clamp(FLOOR, 1.0 - FLOOR);
            delta = delta.max((new_prior - prior).abs());
            prior = new_prior;
            if delta < em.tolerance {
                converged = true;
                break;
            }
        }
        model.fit.iterations.push(iterations);
        model.fit.converged.push(converged);
        for c in 0..n_comp {
            if active[c] {
                sessions[c] += 1;
                for (s, v) in sum_m[c].iter_mut().zip(&m[c]) {
                    *s += v;
                }
                for (s, v) in sum_u[c].iter_mut().zip(&su[c]) {
                    *s += v;
                }
            }
        }
    }
    for (c, params) in model.comparisons.iter_mut().enumerate() {
        if sessions[c] > 0 {
            params.m = sum_m[c]
                .iter()
                .map(|s| s / f64::from(sessions[c]))
                .collect();
            if c < 64 && model.shared & (1 << c) != 0 {
                floor_change(&mut params.m);
            }
            params.u = sum_u[c]
                .iter()
                .map(|s| s / f64::from(sessions[c]))
                .collect();
        }
    }
    // The prior among all candidates, with m and u now fixed.
    let m: Vec<Vec<f64>> = model.comparisons.iter().map(|c| c.m.clone()).collect();
    let u: Vec<Vec<f64>> = model.comparisons.iter().map(|c| c.u.clone()).collect();
    let all = vec![true; n_comp];
    let mut prior = model.prior;
    let household = model.household_cap_ln(&m);
    for _ in 0..em.max_iterations {
        let (mut matched, mut total) = (0.0, 0.0);
        for (gamma, _, n) in &rows {
            matched += posterior(gamma, &all, &m, &u, prior, household, &[]) * n;
            total += n;
        }
        if total == 0.0 {
            break;
        }
        let new = ((matched + PSEUDO_PAIRS * start_prior) / (total + PSEUDO_PAIRS))
            .clamp(FLOOR, 1.0 - FLOOR);
        let done = (new - prior).abs() < em.tolerance;
        prior = new;
        if done {
            break;
        }
    }
    measure_groups(&mut model.groups, &rows, &m, &u, prior, household);
    if em.estimate_u {
        // What agreeing on the determined comparisons says by itself, from the chance that two
        // random records match and the random-pair u: the starting point of each set's prior.
        let candidates: f64 = rows.iter().map(|r| r.2).sum();
        let base = (prior * candidates / all_pairs.max(1.0)).clamp(1e-15, 1.0 - FLOOR);
        let evidence = |skip: u64| -> f64 {
            let mut logit = (base / (1.0 - base)).ln();
            let mut shared_gain = 0.0;
            for (c, params) in model.comparisons.iter().enumerate() {
                if skip & (1 << c) != 0 {
                    let top = params.m.len() - 1;
                    let w = (params.m[top].max(FLOOR) / random_u[c][top].max(FLOOR)).ln();
                    if household.is_some_and(|(shared, _)| shared & (1 << c) != 0) && w > 0.0 {
                        shared_gain += w;
                    } else {
                        logit += w;
                    }
                }
            }
            logit += household.map_or(shared_gain, |(_, cap)| shared_gain.min(cap));
            (1.0 / (1.0 + (-logit).exp())).clamp(FLOOR, 1.0 - FLOOR)
        };
        let priors = rule_priors(
            &rows,
            &m,
            &u,
            prior,
            &evidence,
            determines,
            em,
            household,
            &model.groups,
        );
        model.prior = prior;
        model.rule_priors = priors;
    } else {
        let candidates: f64 = rows.iter().map(|r| r.2).sum();
        model.prior = (prior * candidates / all_pairs.max(1.0)).clamp(1e-15, 1.0 - FLOOR);
    }
}

/// What agreement on shared comparisons adds to a pair (the household guard): their summed
/// gain capped at `cap` (sharing a household's values is one fact), and nothing when the
/// pair's other evidence (its personal comparisons and its disagreements) says two people:
/// shared values can confirm a person, never make one.
#[must_use]
pub fn household_gain(shared_gain: f64, personal: f64, cap: f64) -> f64 {
    if personal < 0.0 {
        0.0
    } else {
        shared_gain.min(cap)
    }
}

/// Smallest m of "else" for a shared comparison: people move, marry, change jobs, so a
/// disagreeing address or surname is never near-certain proof of two people.
const SHARED_CHANGE: f64 = 0.05;

/// Raise `m[0]` (else) to [`SHARED_CHANGE`], scaling the other levels to keep the sum.
fn floor_change(m: &mut [f64]) {
    if m.len() < 2 || m[0] >= SHARED_CHANGE {
        return;
    }
    let rest: f64 = m[1..].iter().sum();
    let scale = (1.0 - SHARED_CHANGE) / rest.max(FLOOR);
    m[0] = SHARED_CHANGE;
    for v in &mut m[1..] {
        *v *= scale;
    }
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
#[allow(clippy::too_many_arguments)] // the fitted model's parts, passed apart while they are fitted
fn rule_priors(
    rows: &[(&[i8], u32, f64)],
    m: &[Vec<f64>],
    u: &[Vec<f64>],
    global: f64,
    target: &dyn Fn(u64) -> f64,
    determines: &[u64],
    em: &EmSettings,
    household: Option<(u64, f64)>,
    groups: &[Group],
) -> Vec<(u32, f64)> {
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
            let mut prior = start;
            for _ in 0..em.max_iterations {
                let matched: f64 = group
                    .iter()
                    .map(|(g, _, n)| posterior(g, &all, m, u, prior, household, groups) * n)
                    .sum();
                let new = ((matched + RULE_PRIOR_PAIRS * start) / (total + RULE_PRIOR_PAIRS))
                    .clamp(FLOOR, 1.0 - FLOOR);
                let done = (new - prior).abs() < em.tolerance;
                prior = new;
                if done {
                    break;
                }
            }
            (mask, prior)
        })
        .collect()
}

impl Model {
    /// Prior weight (log2 odds) of a pair satisfying the blocking rules in `mask`.
    #[must_use]
    pub fn prior_weight_for(&self, mask: u32) -> f64 {
        let p = self
            .rule_priors
            .binary_search_by_key(&mask, |(m, _)| *m)
            .map_or(self.prior, |i| self.rule_priors[i].1);
        (p / (1.0 - p)).log2()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::sample;

    /// Simulate patterns from a known model and check EM recovers m and the prior.
    #[test]
    fn em_recovers_known_parameters() {
        let settings = sample();
        let mut truth = Model::defaults(&settings);
        let true_m = [
            vec![0.05, 0.1, 0.15, 0.7],
            vec![0.02, 0.08, 0.1, 0.8],
            vec![0.1, 0.05, 0.05, 0.8],
        ];
        let true_u = [
            vec![0.9, 0.05, 0.03, 0.02],
            vec![0.85, 0.08, 0.05, 0.02],
            vec![0.97, 0.015, 0.01, 0.005],
        ];
        for (c, p) in truth.comparisons.iter_mut().enumerate() {
            p.m.clone_from(&true_m[c]);
            p.u.clone_from(&true_u[c]);
        }
        let true_prior = 0.3;
        let mut rng = SplitMix::new(7);
        let mut draw = |probs: &[f64]| {
            let x = rng.next_u64() as f64 / u64::MAX as f64;
            let mut acc = 0.0;
            for (i, p) in probs.iter().enumerate() {
                acc += p;
                if x < acc {
                    return i as i8;
                }
            }
            (probs.len() - 1) as i8
        };
        let mut patterns = Patterns::default();
        for i in 0..200_000 {
            let is_match = f64::from(i) < true_prior * 200_000.0;
            let gamma: Vec<i8> = (0..3)
                .map(|c| draw(if is_match { &true_m[c] } else { &true_u[c] }))
                .collect();
            *patterns.entry((gamma, 0b1)).or_default() += 1;
        }
        let mut model = Model::defaults(&settings);
        for (c, p) in model.comparisons.iter_mut().enumerate() {
            p.u.clone_from(&true_u[c]);
        }
        let em = EmSettings {
            max_iterations: 500,
            tolerance: 1e-9,
            u_sample_size: 0,
            seed: 1,
            estimate_u: false,
        };
        fit_em(
            &mut model,
            &patterns,
            &[vec![false, false, false]],
            &[0],
            &em,
            200_000.0,
        );
        assert!(model.fit.converged[0]);
        for (c, p) in model.comparisons.iter().enumerate() {
            for (got, want) in p.m.iter().zip(&true_m[c]) {
                assert!(
                    (got - want).abs() < 0.02,
                    "comparison {c}: m {:?} vs {:?}",
                    p.m,
                    true_m[c]
                );
            }
        }
        assert!(
            (model.prior - true_prior).abs() < 0.02,
            "prior {}",
            model.prior
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

    /// Pairs that share only an address (rule 0 on comparison 2, "email" standing for it here)
    /// but disagree on both names are households, not duplicates: the address agreement they
    /// were blocked on must not count again as evidence: the rule's prior is fitted on the
    /// other comparisons.
    #[test]
    fn agreement_on_the_blocking_key_is_not_counted_twice() {
        let settings = sample();
        let mut model = Model::defaults(&settings);
        // Random-pair u: exact agreement on the address is rare between random records.
        for p in &mut model.comparisons {
            let n = p.u.len();
            p.u = vec![0.0; n];
            p.u[0] = 0.97;
            for l in 1..n - 1 {
                p.u[l] = 0.01;
            }
            p.u[n - 1] = 0.03 - 0.01 * (n - 2) as f64;
        }
        model.comparisons[2].u = vec![0.9989, 0.0005, 0.0005, 0.0001];
        let mut patterns = Patterns::default();
        // Rule 0 (address): 9,000 households (names differ), 500 duplicates (names agree).
        *patterns.entry((vec![0, 0, 3], 0b01)).or_default() += 9_000;
        *patterns.entry((vec![3, 3, 3], 0b01)).or_default() += 500;
        // Rule 1 (names): 2,000 duplicates that moved, 3,000 homonyms elsewhere.
        *patterns.entry((vec![3, 3, 0], 0b10)).or_default() += 2_000;
        *patterns.entry((vec![3, 3, 3], 0b10)).or_default() += 0;
        *patterns.entry((vec![3, 2, 0], 0b10)).or_default() += 3_000;
        let em = EmSettings {
            max_iterations: 200,
            tolerance: 1e-9,
            u_sample_size: 0,
            seed: 1,
            estimate_u: true,
        };
        let blocked = [vec![false, false, true], vec![true, true, false]];
        fit_em(&mut model, &patterns, &blocked, &[0b100, 0b011], &em, 1e8);
        let prior = |mask: u32| {
            let w = model.prior_weight_for(mask);
            1.0 / (1.0 + (-w).exp2())
        };
        // About 500 of the 9,500 address-only pairs are duplicates.
        assert!(
            prior(0b01) < 0.2,
            "address-only prior {} (rule priors {:?})",
            prior(0b01),
            model.rule_priors
        );
    }

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

    #[test]
    fn json_round_trip_and_fit_check() {
        let settings = sample();
        let model = Model::defaults(&settings);
        let back = Model::from_json(&model.to_json()).unwrap();
        assert_eq!(back, model);
        back.check_fits(&settings).unwrap();
        let mut other = settings.clone();
        other.comparisons[0].thresholds = vec![0.9];
        assert!(
            back.check_fits(&other)
                .unwrap_err()
                .to_string()
                .contains("first_name")
        );
    }

    #[test]
    fn weights_increase_towards_exact() {
        let model = Model::defaults(&sample());
        for p in &model.comparisons {
            let w = p.weights();
            assert!(w.windows(2).all(|x| x[0] < x[1]), "{w:?}");
        }
    }

    #[test]
    fn parameters_are_checked_on_load_with_their_path() {
        let model = Model::defaults(&sample());
        let with = |edit: &dyn Fn(&mut Model)| {
            let mut m = model.clone();
            edit(&mut m);
            Model::from_json(&m.to_json()).unwrap_err().to_string()
        };
        assert!(with(&|m| m.prior = 0.0).contains("`prior`"));
        assert!(with(&|m| m.comparisons[1].m[1] = -0.2).contains("`comparisons[1].m[1]`"));
        assert!(with(&|m| m.comparisons[0].u[0] = 1.5).contains("`comparisons[0].u[0]`"));
        assert!(with(&|m| m.comparisons[0].m[0] = 0.5).contains("`comparisons[0].m` sums to"));
        assert!(with(&|m| m.comparisons[1].u.push(0.0)).contains("`comparisons[1].u` has"));
        assert!(with(&|m| m.rule_priors.push((1, 1.0))).contains("`rule_priors[0][1]`"));
        let text = model.to_json().replacen("0.05", "1e400", 1);
        assert!(Model::from_json(&text).is_err());
    }
}
