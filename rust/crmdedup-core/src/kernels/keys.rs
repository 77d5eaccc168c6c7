//! Blocking keys as data: one row per (record, rule) with the rule's key hash.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, UInt32Array, UInt64Array};
use arrow_schema::{DataType, Field, Schema};

use crate::block::parse_rules;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::ids::Ids;
use crate::progress::Progress;
use crate::settings::Settings;

/// The columns of a keys table beside the id column.
const KEY_COLUMNS: [&str; 3] = ["rule", "key", "order"];

/// The blocking keys of `batch` (records named by `ids`): one row per record and rule under
/// which it has a key, rule by rule, records in input order, with columns `<id>`, `rule`
/// (`UInt32`, the rule's index in the settings), `key` (`UInt64`, the
/// [`key_hash`](crate::block::key_hash) of its key parts) and `order` (`UInt64`, its
/// [`order_key`](crate::block::order_key) in the rule's blocks). A record with a null or empty
/// key part under a rule has no row for it.
///
/// Two records share a block of rule `r` exactly when they have equal keys under `r`: the
/// blocks of a run (before the `max_block_size` cap) are the groups of this table by
/// (`rule`, `key`), each ordered by (`order`, id); a record is paired with the next
/// `pairs_per_record` records of its block in that order.
///
/// # Errors
/// Invalid settings, missing or mistyped columns, cancellation.
pub fn blocking_keys(
    batch: &RecordBatch,
    ids: &Ids,
    settings: &Settings,
    progress: &dyn Progress,
) -> Result<RecordBatch> {
    settings.validate()?;
    if KEY_COLUMNS.contains(&ids.name.as_str()) {
        return Err(Error::settings(
            "id_column",
            format!(
                "`{}` is a column of the keys table ({}): rename the id column",
                ids.name,
                KEY_COLUMNS.join(", ")
            ),
        ));
    }
    let exprs = parse_rules(settings)?;
    let dataset = Dataset::prepare_blocking(&[(batch, ids.clone())], settings, progress)?;
    let keys = dataset.row_keys(settings, &exprs);
    let orders = dataset.row_orders(settings, &exprs);
    let mut rows = Vec::new();
    let mut rules = Vec::new();
    let mut hashes = Vec::new();
    let mut order = Vec::new();
    for (rule, keys) in keys.iter().enumerate() {
        for (row, &key) in keys.iter().enumerate().filter(|(_, k)| **k != 0) {
            rows.push(row as u32);
            rules.push(rule as u32);
            hashes.push(key);
            order.push(orders[rule][row]);
        }
    }
    let id = arrow_select::take::take(ids.array.as_ref(), &UInt32Array::from(rows), None)?;
    let schema = Schema::new(vec![
        Field::new(&ids.name, ids.array.data_type().clone(), false),
        Field::new("rule", DataType::UInt32, false),
        Field::new("key", DataType::UInt64, false),
        Field::new("order", DataType::UInt64, false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        id,
        Arc::new(UInt32Array::from(rules)),
        Arc::new(UInt64Array::from(hashes)),
        Arc::new(UInt64Array::from(order)),
    ];
    Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::key_hash;
    use crate::progress::NoProgress;
    use crate::settings::tests::sample;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{UInt32Type, UInt64Type};
    use arrow_array::{Array, StringArray};

    fn contacts() -> RecordBatch {
        let s = |v: Vec<Option<&str>>| -> ArrayRef { Arc::new(StringArray::from(v)) };
        RecordBatch::try_from_iter(vec![
            ("id", s(vec![Some("a"), Some("b"), Some("c")])),
            ("first_name", s(vec![Some("Jean"), Some("JEAN"), None])),
            (
                "last_name",
                s(vec![Some("Lefèvre"), Some("LEFEVRE"), Some("Curie")]),
            ),
            ("email", s(vec![Some("j@x.fr"), None, Some("m@c.fr")])),
        ])
        .unwrap()
    }

    #[test]
    fn one_row_per_record_and_rule_with_a_key() {
        let batch = contacts();
        let ids = Ids::from_array("id", batch.column(0).clone()).unwrap();
        let settings = sample();
        let out = blocking_keys(&batch, &ids, &settings, &NoProgress).unwrap();
        let id = out.column(0).as_string::<i32>();
        let rule = out.column(1).as_primitive::<UInt32Type>();
        let key = out.column(2).as_primitive::<UInt64Type>();
        let order = out.column(3).as_primitive::<UInt64Type>();
        // Rule 0 (`last_name, first_name[:1]`) is ordered by the email, rule 1 (`email`) by the
        // given name (the first compared columns they do not read).
        let first_order = (0..out.num_rows())
            .find(|&i| rule.value(i) == 0)
            .map(|i| order.value(i));
        assert_eq!(first_order, Some(crate::block::order_key(Some("j@x.fr"))));
        let rows: Vec<(String, u32, u64)> = (0..out.num_rows())
            .map(|i| (id.value(i).to_owned(), rule.value(i), key.value(i)))
            .collect();
        // Every key is the specified hash of the normalised key parts, never 0.
        assert!(rows.iter().all(|r| r.2 & 1 == 1));
        let by = |r: u32, who: &str| rows.iter().find(|x| x.1 == r && x.0 == who).map(|x| x.2);
        // Rule 0 is `last_name, first_name[:1]`, rule 1 `email`.
        let norm = |kind, v| crate::normalize::normalize(kind, v).unwrap();
        let last = norm(crate::normalize::Normalizer::Name, "Lefèvre");
        let first = norm(crate::normalize::Normalizer::Name, "Jean");
        let initial: String = first.chars().take(1).collect();
        assert_eq!(
            by(0, "a"),
            Some(key_hash([last.as_str(), initial.as_str()]))
        );
        assert_eq!(by(0, "a"), by(0, "b"));
        assert_eq!(by(0, "c"), None, "a null key part gives no row");
        let email = norm(crate::normalize::Normalizer::Email, "j@x.fr");
        assert_eq!(by(1, "a"), Some(key_hash([email.as_str()])));
        assert_eq!(by(1, "b"), None);
        assert_ne!(by(1, "a"), by(1, "c"));
        assert_eq!(rows.len(), 4);
        assert_eq!(out.schema().field(0).name(), "id");
        assert!(out.column(0).null_count() == 0);
        // An id column named like a keys column is refused, naming it.
        let named = |name: &str| Ids::from_array(name, batch.column(0).clone()).unwrap();
        let e = blocking_keys(&batch, &named("order"), &settings, &NoProgress).unwrap_err();
        assert!(e.to_string().contains("`order`"), "{e}");
    }
}
