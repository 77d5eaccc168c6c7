//! What the blocking rules imply for the comparisons: the comparisons a rule determines (its
//! pairs agree on them by construction) and those EM must not learn from its pairs.

use super::{KeyExpr, KeyFn};
use crate::error::{Error, Result};
use crate::model::UNCOMPARED;
use crate::settings::{ComparisonSpec, Settings};

/// Per blocking rule, the comparisons (bit `c`) whose whole normalised value is one of the
/// rule's keys: every pair the rule finds agrees exactly on them.
#[must_use]
pub fn rule_determines(settings: &Settings, exprs: &[Vec<KeyExpr>]) -> Vec<u64> {
    per_rule_bits(settings, exprs, |c, e| {
        c.normalizer == settings.normalizer_of(&c.column)
            && e.column == c.column
            && e.func == KeyFn::Value
            && e.slice.is_none()
    })
}

/// Per blocking rule, the comparisons (bit `c`) whose column one of the rule's keys reads, as
/// a whole value or through a key function (a phonetic code, a prefix, an email's local part),
/// and [`UNCOMPARED`] when one of its keys reads a column no comparison reads.
#[must_use]
pub fn rule_reads(settings: &Settings, exprs: &[Vec<KeyExpr>]) -> Vec<u64> {
    let compared = |column: &str| settings.comparisons.iter().any(|c| c.column == column);
    per_rule_bits(settings, exprs, |c, e| e.column == c.column)
        .into_iter()
        .zip(exprs)
        .map(|(bits, rule)| {
            if rule.iter().all(|e| compared(&e.column)) {
                bits
            } else {
                bits | UNCOMPARED
            }
        })
        .collect()
}

/// Per rule, bit `c` set when `hit(comparison c, key)` holds for one of the rule's keys.
fn per_rule_bits(
    settings: &Settings,
    exprs: &[Vec<KeyExpr>],
    hit: impl Fn(&ComparisonSpec, &KeyExpr) -> bool,
) -> Vec<u64> {
    exprs
        .iter()
        .map(|rule| {
            settings
                .comparisons
                .iter()
                .enumerate()
                .filter(|(_, c)| rule.iter().any(|e| hit(c, e)))
                .fold(0u64, |acc, (i, _)| acc | (1 << i))
        })
        .collect()
}

/// Per blocking rule, the comparisons EM does not learn from its pairs: those reading a column
/// the rule blocks on (they agree by construction) and the rest of their group (see
/// [`ComparisonSpec::group`](crate::settings::ComparisonSpec::group)), and, for a rule whose
/// keys all read
/// [`shared`](crate::settings::ComparisonSpec::shared) columns, every comparison. Such a rule
/// (address and postcode, a landline) finds mostly people living or working together: learnt
/// from, it would teach EM that a household is one person, and that a different given name
/// or birth date is weak evidence. When every rule is of that kind, they all train as usual.
#[must_use]
pub fn training_masks(settings: &Settings, exprs: &[Vec<KeyExpr>]) -> Vec<Vec<bool>> {
    let shared_column = |column: &str| {
        settings
            .comparisons
            .iter()
            .filter(|c| c.column == column)
            .all(|c| c.shared)
    };
    let household: Vec<bool> = exprs
        .iter()
        .map(|rule| rule.iter().all(|e| shared_column(&e.column)))
        .collect();
    let all_household = household.iter().all(|h| *h);
    rule_reads(settings, exprs)
        .into_iter()
        .map(|reads| with_groups(settings, reads))
        .zip(&household)
        .map(|(reads, &h)| {
            (0..settings.comparisons.len())
                .map(|c| (h && !all_household) || reads & (1 << c) != 0)
                .collect()
        })
        .collect()
}

/// `reads` (bit `c`) with every comparison of each group one of them belongs to. A rule on the
/// company (or the postcode) fixes where its pairs work (or live): colleagues and duplicates
/// then agree alike on the office, the switchboard and the city, and EM, left to learn them,
/// splits one office from another instead of one person from another (the company and given
/// name's pairs taught that half of all duplicates have another surname).
fn with_groups(settings: &Settings, reads: u64) -> u64 {
    let specs = &settings.comparisons;
    let mut out = reads;
    for (c, spec) in specs.iter().enumerate().take(64) {
        if reads & (1 << c) != 0 && !spec.group.is_empty() {
            for (d, other) in specs.iter().enumerate().take(64) {
                if other.group == spec.group {
                    out |= 1 << d;
                }
            }
        }
    }
    out
}

/// The settings' blocking rules, parsed.
pub fn parse_rules(settings: &Settings) -> Result<Vec<Vec<KeyExpr>>> {
    settings
        .blocking_rules
        .iter()
        .map(|r| {
            r.keys
                .iter()
                .map(|k| KeyExpr::parse(k).map_err(|m| Error::settings("blocking_rules", m)))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::parse_rules;
    use crate::settings::BlockingRule;
    use crate::settings::tests::sample;

    fn rule(keys: &[&str]) -> BlockingRule {
        BlockingRule {
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        }
    }

    #[test]
    fn a_rule_determines_whole_values_and_reads_every_column_it_keys_on() {
        // Comparisons: 0 first_name, 1 last_name, 2 email.
        let mut settings = sample();
        settings.blocking_rules = vec![
            rule(&["last_name", "first_name[:1]"]),
            rule(&["phonetic(last_name)", "email_local(email)"]),
            rule(&["email"]),
            rule(&["first_name", "city"]),
        ];
        let exprs = parse_rules(&settings).unwrap();
        // A prefix or a key function reads its column without determining it.
        assert_eq!(
            rule_determines(&settings, &exprs),
            vec![0b010, 0, 0b100, 0b001]
        );
        let reads = rule_reads(&settings, &exprs);
        assert_eq!(&reads[..3], &[0b011, 0b110, 0b100]);
        // `city` is no comparison's column.
        assert_eq!(reads[3], 0b001 | UNCOMPARED);
    }

    #[test]
    fn a_rule_on_one_field_of_a_group_trains_none_of_the_group() {
        // Comparisons: 0 first_name, 1 last_name, 2 email, 3 company and 4 city (one group).
        let mut settings = sample();
        for (name, shared) in [("company", true), ("city", true)] {
            let mut spec = settings.comparisons[2].clone();
            name.clone_into(&mut spec.name);
            name.clone_into(&mut spec.column);
            spec.shared = shared;
            "workplace".clone_into(&mut spec.group);
            settings.comparisons.push(spec);
        }
        settings.blocking_rules = vec![rule(&["company", "first_name"]), rule(&["email"])];
        let exprs = parse_rules(&settings).unwrap();
        let masks = training_masks(&settings, &exprs);
        // The company's rule learns neither the company nor the city, which it fixes too.
        assert_eq!(masks[0], vec![true, false, false, true, true]);
        assert_eq!(masks[1], vec![false, false, true, false, false]);
    }
}
