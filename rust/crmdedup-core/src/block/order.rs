//! The order of the rows inside a rule's block, which decides the pairs of a block larger than
//! the window: rows side by side in it are paired.
//!
//! Each rule orders its blocks by the normalised value of the first compared column that none
//! of its keys reads, dates apart (see [`rule_orders`]): for a rule on the surname, the given
//! name; for one on the email, the given name too. The records of one person, which agree on
//! it, sit side by side.
//! Ties (and rows without a value, last) are in id order.

use super::KeyExpr;
use crate::column::{CodedColumn, NULL};
use crate::normalize::Normalizer;
use crate::settings::Settings;

/// Per blocking rule, the (column, normaliser) whose values order its blocks: the first
/// comparison whose column none of the rule's keys reads, dates apart; `None` when there is
/// none (then the rows are in id order). Dates are left out because their day/month order is
/// inferred from the values of one call: an update's or a partition's few records could read
/// them otherwise than the whole table, and order the blocks otherwise.
#[must_use]
pub fn rule_orders(
    settings: &Settings,
    exprs: &[Vec<KeyExpr>],
) -> Vec<Option<(String, Normalizer)>> {
    super::rule_reads(settings, exprs)
        .into_iter()
        .map(|reads| {
            let mut free = settings
                .comparisons
                .iter()
                .enumerate()
                .filter(|(i, c)| reads & (1 << i) == 0 && c.normalizer != Normalizer::Date);
            free.next().map(|(_, c)| (c.column.clone(), c.normalizer))
        })
        .collect()
}

/// The order key of a normalised value: its first eight bytes, big-endian, so that keys sort
/// as the values' bytes do (a shorter value before its extensions); a missing value sorts last.
#[must_use]
pub fn order_key(value: Option<&str>) -> u64 {
    value.map_or(u64::MAX, |v| {
        let mut bytes = [0u8; 8];
        let head = &v.as_bytes()[..v.len().min(8)];
        bytes[..head.len()].copy_from_slice(head);
        u64::from_be_bytes(bytes).min(u64::MAX - 1)
    })
}

/// Every row's order key from the coded column `col` (every row last without one).
pub(crate) fn row_orders(col: Option<&CodedColumn>, n: usize) -> Vec<u64> {
    let Some(col) = col else {
        return vec![u64::MAX; n];
    };
    let per_code: Vec<u64> = col.values.iter().map(|v| order_key(Some(v))).collect();
    col.codes
        .iter()
        .map(|&c| {
            if c == NULL {
                u64::MAX
            } else {
                per_code[c as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_is_ordered_by_the_first_compared_column_it_does_not_read_never_a_date() {
        let mut settings = crate::settings::tests::sample();
        // Comparisons: date_of_birth (a date), first_name, last_name, email.
        let mut dob = settings.comparisons[0].clone();
        dob.name = "date_of_birth".into();
        dob.column = "date_of_birth".into();
        dob.normalizer = Normalizer::Date;
        settings.comparisons.insert(0, dob);
        let rule = |keys: &[&str]| crate::settings::BlockingRule {
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        };
        settings.blocking_rules = vec![
            rule(&["last_name"]),
            rule(&["phonetic(first_name)", "email_domain(email)"]),
            rule(&["first_name", "last_name", "email"]),
        ];
        let exprs = super::super::parse_rules(&settings).unwrap();
        let names: Vec<Option<String>> = rule_orders(&settings, &exprs)
            .into_iter()
            .map(|o| o.map(|(column, _)| column))
            .collect();
        assert_eq!(
            names,
            vec![Some("first_name".into()), Some("last_name".into()), None]
        );
    }

    #[test]
    fn order_keys_sort_as_the_values_bytes_and_missing_values_last() {
        let mut values = ["marie", "jean", "", "jeanne", "jean-pierre-louis", "zoé"];
        let mut keys: Vec<u64> = values.iter().map(|v| order_key(Some(v))).collect();
        keys.sort_unstable();
        values.sort_unstable();
        let sorted: Vec<u64> = values.iter().map(|v| order_key(Some(v))).collect();
        assert_eq!(keys, sorted);
        assert!(order_key(Some("\u{10FFFF}\u{10FFFF}")) < order_key(None));
        assert_eq!(order_key(Some("jean-pie")), order_key(Some("jean-pierre")));
    }
}
