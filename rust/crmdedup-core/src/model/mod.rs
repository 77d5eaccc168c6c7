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
//! A set's prior never falls below what its determined personal comparisons say by themselves
//! (see `prior`).

mod em;
mod groups;
mod prior;
mod u;

use serde::{Deserialize, Serialize};

use crate::compare::level_labels;
use crate::error::{Error, Result};
use crate::settings::Settings;

pub use em::{Patterns, fit_em};
pub use groups::{Group, grouped_sum, household_gain};
pub use prior::determined;
pub use prior::{RuleFields, UNCOMPARED};
pub use u::{SplitMix, estimate_u, household_u, sample_pairs, u_sample_budget};

/// Smallest probability a level may take, so that weights stay finite.
pub(crate) const FLOOR: f64 = 1e-7;

/// Fewer random pairs than this (about 45 records) and the defaults are used unfitted.
pub const MIN_PAIRS_TO_FIT: u64 = 1000;

/// Weight, in pairs, of the default parameters in every estimate (a Dirichlet prior): on large
/// data it vanishes, on a handful of records it keeps estimates sane instead of degenerate.
pub(crate) const PSEUDO_PAIRS: f64 = 10.0;

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
    /// u per set of blocking rules, as `[rules, [u of each comparison]]`: the non-matches two
    /// rules find differ (people sharing a phone share an email; people sharing a name and a
    /// birth date are rare), so each set's pairs are weighed with the u of its own
    /// non-matches, shrunk towards `comparisons[c].u`. Sets not listed (and models saved
    /// before these existed) use `comparisons[c].u`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_u: Vec<(u32, Vec<Vec<f64>>)>,
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
            set_u: Vec::new(),
            shared: settings
                .comparisons
                .iter()
                .enumerate()
                .filter(|(_, c)| c.shared)
                .fold(0, |acc, (i, _)| acc | (1 << i)),
            household_u: None,
            groups: groups::groups_of(settings),
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
    pub(crate) fn household_cap_ln(&self, m: &[Vec<f64>]) -> Option<(u64, f64)> {
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
        // Looked up by mask (binary search, hash map): each set once, in increasing order.
        let masks = [
            (
                "rule_priors",
                self.rule_priors.iter().map(|(m, _)| *m).collect::<Vec<_>>(),
            ),
            ("set_u", self.set_u.iter().map(|(m, _)| *m).collect()),
        ];
        for (key, masks) in masks {
            if let Some(i) = masks.windows(2).position(|w| w[0] >= w[1]) {
                return bad(
                    format!("{key}[{}][0]", i + 1),
                    format!(
                        "(rules {}) follows rules {}: expected each set of rules once, in \
                         increasing order",
                        masks[i + 1],
                        masks[i]
                    ),
                );
            }
        }
        for (i, (set, p)) in self.rule_priors.iter().enumerate() {
            if !strict(*p) {
                return bad(
                    format!("rule_priors[{i}][1]"),
                    format!("(rules {set}) is {p}, expected a number strictly between 0 and 1"),
                );
            }
        }
        for (i, (set, us)) in self.set_u.iter().enumerate() {
            if us.len() != self.comparisons.len() {
                return bad(
                    format!("set_u[{i}][1]"),
                    format!(
                        "(rules {set}) has {} comparisons, the model {}",
                        us.len(),
                        self.comparisons.len()
                    ),
                );
            }
            for (c, (values, params)) in us.iter().zip(&self.comparisons).enumerate() {
                let path = format!("set_u[{i}][1][{c}]");
                probabilities(&path, values, params.levels.len())
                    .map_err(|e| Error::Model(format!("{e} (rules {set})")))?;
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
                probabilities(&path, values, levels).map_err(Error::Model)?;
            }
        }
        Ok(())
    }

    /// Prior expressed as a match weight.
    #[must_use]
    pub fn prior_weight(&self) -> f64 {
        (self.prior / (1.0 - self.prior)).log2()
    }

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

/// Rounding allowed in a sum of probabilities (fitted values are floored at 1e-7).
const SUM_TOLERANCE: f64 = 1e-3;

/// Whether `values` (at JSON path `path`) are the probabilities of `levels` levels: as many,
/// each finite in [0, 1], summing to 1; else what is wrong, naming the path.
fn probabilities(path: &str, values: &[f64], levels: usize) -> std::result::Result<(), String> {
    if values.len() != levels {
        return Err(format!(
            "`{path}` has {} values for {levels} levels",
            values.len()
        ));
    }
    if let Some((j, v)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && (0.0..=1.0).contains(*v)))
    {
        return Err(format!(
            "`{path}[{j}]` is {v}, expected a probability in [0, 1]"
        ));
    }
    let sum: f64 = values.iter().sum();
    if (sum - 1.0).abs() > SUM_TOLERANCE {
        return Err(format!("`{path}` sums to {sum}, expected 1"));
    }
    Ok(())
}

/// Pattern histograms a model is fitted from: the candidate pairs' and random pairs'.
#[derive(Debug, Clone, Copy)]
pub struct Histograms<'a> {
    /// Patterns of every candidate pair, with the rules that block it: m and the priors.
    pub candidates: &'a Patterns,
    /// Patterns of the random record pairs of [`sample_pairs`]: u (their rules are not read).
    pub random: &'a Patterns,
}

/// Fit a model from pattern histograms alone: u from the random pairs, then m and the priors
/// by EM over the candidates (see [`fit_em`] for `blocked` and `rules`); the documented
/// defaults when fewer than [`MIN_PAIRS_TO_FIT`] random pairs were drawn (too few records).
///
/// `n` records, `split = Some(n_left)` when linking two tables: the prior is that of two
/// random records (or one of each table). Histograms only hold counts, so the histograms of
/// any split of the pairs, added up, give the same model.
#[must_use]
pub fn fit_from_histograms(
    settings: &Settings,
    blocked: &[Vec<bool>],
    rules: RuleFields<'_>,
    histograms: Histograms<'_>,
    n: usize,
    split: Option<usize>,
) -> Model {
    let mut m = Model::defaults(settings);
    let sampled: u64 = histograms.random.values().sum();
    m.fit.u_pairs_sampled = sampled;
    if sampled < MIN_PAIRS_TO_FIT {
        return m;
    }
    let u = estimate_u(&m, histograms.random);
    for (p, u) in m.comparisons.iter_mut().zip(u) {
        p.u = u;
    }
    m.household_u = household_u(&m, histograms.random);
    let all_pairs = match split {
        Some(cut) => cut as f64 * n.saturating_sub(cut) as f64,
        None => n as f64 * n.saturating_sub(1) as f64 / 2.0,
    };
    fit_em(
        &mut m,
        histograms.candidates,
        blocked,
        rules,
        &settings.em,
        (all_pairs, personal_ids(settings)),
    );
    m
}

/// Comparisons (bit `c`) that may identify a person by themselves: neither shared nor names
/// (an email, a mobile, a birth date). Which of them do is read from the data while fitting.
fn personal_ids(settings: &Settings) -> u64 {
    settings
        .comparisons
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            *i < 64
                && !c.shared
                && c.method != crate::settings::Method::Name
                && c.normalizer != crate::normalize::Normalizer::Name
        })
        .fold(0, |acc, (i, _)| acc | (1 << i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::sample;

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
        let own_u = |m: &Model| {
            m.comparisons
                .iter()
                .map(|c| c.u.clone())
                .collect::<Vec<_>>()
        };
        let bad_u = with(&|m| {
            let mut u = own_u(m);
            u[2][0] = 2.0;
            m.set_u.push((5, u));
        });
        assert!(
            bad_u.contains("`set_u[0][1][2][0]`") && bad_u.contains("rules 5"),
            "{bad_u}"
        );
        assert!(with(&|m| m.set_u.push((5, Vec::new()))).contains("`set_u[0][1]`"));
        let twice = with(&|m| {
            m.set_u.push((5, own_u(m)));
            m.set_u.push((5, own_u(m)));
        });
        assert!(
            twice.contains("`set_u[1][0]`") && twice.contains("once"),
            "{twice}"
        );
        let unsorted = with(&|m| m.rule_priors.extend([(6, 0.5), (3, 0.5)]));
        assert!(unsorted.contains("`rule_priors[1][0]`"), "{unsorted}");
        let mut fine = model.clone();
        fine.set_u.push((5, own_u(&model)));
        assert_eq!(Model::from_json(&fine.to_json()).unwrap(), fine);
        let text = model.to_json().replacen("0.05", "1e400", 1);
        assert!(Model::from_json(&text).is_err());
    }
}
