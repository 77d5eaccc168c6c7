//! Groups of comparisons that describe one fact (an address), and the household cap: what
//! several agreeing or disagreeing fields of one kind may weigh together.

use serde::{Deserialize, Serialize};

use super::FLOOR;
use super::em::posterior;
use crate::compare::NULL_LEVEL;
use crate::settings::Settings;

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
pub(crate) fn groups_of(settings: &Settings) -> Vec<Group> {
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
pub(crate) fn measure_groups(
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
