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
/// negative weight is raised so that the group weighs at least its floor (`scale` converts
/// the floor's log2 units, e.g. `ln 2` for natural logs). `full` holds each comparison's whole
/// weight, also where `weights` leaves its agreement out (shared agreement, counted apart
/// under the household cap).
///
/// The floor bounds what the whole group weighs, its agreements included: a pair that agrees
/// on the city but on nothing else of a workplace has moved within the city, which is never
/// worth more than having moved at all. (Raising the disagreements alone to the floor and
/// adding the agreements on top scored such a pair as a match that changed nothing.)
#[must_use]
pub fn grouped_sum(weights: &[f64], full: &[f64], groups: &[Group], scale: f64) -> f64 {
    let mut total: f64 = weights.iter().sum();
    for group in groups {
        let Some(floor) = group.floor else { continue };
        let members = || {
            (0..weights.len().min(full.len()).min(64))
                .filter(|&c| group.comparisons & (1 << c) != 0)
        };
        let loss: f64 = members().map(|c| weights[c].min(0.0)).sum();
        let gain: f64 = members().map(|c| full[c].max(0.0)).sum();
        total += (floor * scale - loss - gain).max(0.0);
    }
    total
}

/// Least weight, in pairs, of the pairs agreeing on an identifier for them alone to measure a
/// group's floor (see [`measure_groups`]).
const IDENTIFIED_PAIRS: f64 = 30.0;

/// Measure each group's floor (see [`Group`]) on the candidates: among pairs holding at least
/// two of its fields, weighted by their match probability, how often every field disagrees
/// (shrunk towards what independence predicts, by 10 pairs). The match probabilities use the
/// floors being measured, starting from independence, for a few rounds: weighing pairs by
/// the other comparisons alone would count homonyms that live apart as moved matches.
///
/// When enough pairs agree exactly on an `identifying` comparison outside the group (an
/// email, a mobile, a birth date: [`IDENTIFIED_PAIRS`]), only those pairs are counted. Over
/// all candidates the measure feeds on itself where names are the only other evidence: a
/// floor a little weak makes homonyms at two employers look like matches that moved, which
/// weakens the floor further (a B2B table with most emails missing linked every namesake).
/// Who shares a mobile or a birth date is a match whatever the floor says, and how often
/// such pairs disagree on the whole group is how often matches move.
pub(crate) fn measure_groups(
    groups: &mut [Group],
    rows: &[(&[i8], u32, f64)],
    (m, u): (&[Vec<f64>], &[Vec<f64>]),
    prior: f64,
    household: Option<(u64, f64)>,
    identifying: u64,
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
    let identified = |gamma: &[i8], outside: u64| {
        gamma.iter().enumerate().any(|(c, &l)| {
            c < 64
                && (identifying & !outside) & (1 << c) != 0
                && usize::try_from(l).is_ok_and(|l| l + 1 == m[c].len())
        })
    };
    for _ in 0..5 {
        let current = groups.to_vec();
        for (group, &(independent, u_all)) in groups.iter_mut().zip(&bounds) {
            // (every field disagrees, held) over all pairs, then over identified pairs.
            let mut sums = [(0.0, 0.0); 2];
            for (gamma, _, n) in rows {
                let levels: Vec<i8> = (0..gamma.len())
                    .filter(|&c| member(group, c) && gamma[c] != NULL_LEVEL)
                    .map(|c| gamma[c])
                    .collect();
                if levels.len() < 2 {
                    continue;
                }
                let p = posterior(gamma, &all_active, m, u, prior, household, &current) * n;
                let all = if levels.iter().all(|&l| l == 0) {
                    p
                } else {
                    0.0
                };
                sums[0].0 += all;
                sums[0].1 += p;
                if identified(gamma, group.comparisons) {
                    sums[1].0 += all;
                    sums[1].1 += p;
                }
            }
            let (all, held) = if sums[1].1 >= IDENTIFIED_PAIRS {
                sums[1]
            } else {
                sums[0]
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_rate_read_on_pairs_sharing_an_identifier_ignores_the_others() {
        // Comparison 0 identifies (an email: else, fuzzy, exact); 1 and 2 are one group.
        let m = vec![vec![0.1, 0.1, 0.8], vec![0.2, 0.8], vec![0.2, 0.8]];
        let u = vec![vec![0.98, 0.01, 0.01], vec![0.9, 0.1], vec![0.9, 0.1]];
        let moved: [i8; 3] = [2, 0, 0];
        let stayed: [i8; 3] = [2, 1, 1];
        // Namesakes at two employers, without an email to tell them apart.
        let apart: [i8; 3] = [NULL_LEVEL, 0, 0];
        let floor = |rows: &[(&[i8], u32, f64)]| {
            let mut groups = vec![Group {
                comparisons: 0b110,
                floor: None,
            }];
            measure_groups(&mut groups, rows, (&m, &u), 0.3, None, 0b001);
            groups[0].floor.expect("measured")
        };
        let identified: Vec<(&[i8], u32, f64)> = vec![(&moved, 1, 10.0), (&stayed, 1, 40.0)];
        let mut all = identified.clone();
        all.push((&apart, 1, 500.0));
        assert!((floor(&identified) - floor(&all)).abs() < 1e-12);
    }

    #[test]
    fn a_group_weighs_at_least_its_floor_agreements_included() {
        let group = Group {
            comparisons: 0b0111,
            floor: Some(-3.0),
        };
        // Everything disagrees: raised to the floor; the comparison outside the group counts.
        let weights = [-4.0, -2.0, -1.0, 2.0];
        assert!(
            (grouped_sum(&weights, &weights, std::slice::from_ref(&group), 1.0) - (-3.0 + 2.0))
                .abs()
                < 1e-12
        );
        // One field agrees (its weight counted apart, as shared agreement is): the group as a
        // whole still weighs the floor, never the floor plus the agreement.
        let counted = [-4.0, -2.0, 0.0, 0.0];
        let full = [-4.0, -2.0, 2.5, 0.0];
        let raise = grouped_sum(&counted, &full, std::slice::from_ref(&group), 1.0) - (-6.0);
        assert!((raise + 2.5 - 3.0).abs() < 1e-12, "{raise}");
        // A group that weighs more than its floor is left as it is.
        let light = [-1.0, 0.5, 0.0, 0.0];
        assert!((grouped_sum(&light, &light, &[group], 1.0) - (-0.5)).abs() < 1e-12);
    }
}
