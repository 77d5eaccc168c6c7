//! The candidate pairs a change of records makes appear and disappear, from blocking keys
//! alone: the blocks holding an inserted or removed record are recounted, with the size cap and
//! the first-rule ownership of [`crate::block::candidates`].

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use rustc_hash::FxHashMap;

use crate::block::{NOT_EXPANDED, pack, within};
use crate::column::{as_strings, column};
use crate::error::{Error, Result};
use crate::ids::Ids;
use crate::settings::Settings;

/// What happens to a record between two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// In both runs, with the same keys and order keys.
    Unchanged,
    /// Only in the later run.
    Inserted,
    /// Only in the earlier run.
    Removed,
}

impl Status {
    const NAMES: [(&'static str, Status); 3] = [
        ("unchanged", Status::Unchanged),
        ("inserted", Status::Inserted),
        ("removed", Status::Removed),
    ];

    fn parse(s: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(n, _)| *n == s).map(|(_, st)| *st)
    }

    /// Whether a record of this status is in the earlier run (`after` false) or the later one.
    fn present(self, after: bool) -> bool {
        match self {
            Self::Unchanged => true,
            Self::Inserted => after,
            Self::Removed => !after,
        }
    }
}

/// The keys table, per record (records numbered in increasing id order).
struct Records {
    /// `keys[rule][record]`, 0 for none.
    keys: Vec<Vec<u64>>,
    /// `orders[rule][record]`: the record's order key in its block of the rule.
    orders: Vec<Vec<u64>>,
    status: Vec<Status>,
    /// First row of each record in the keys table.
    first_row: Vec<u32>,
}

/// Records in one block: `(before, after)` counts, and whether a member changed.
#[derive(Default, Clone, Copy)]
struct Block {
    before: u32,
    after: u32,
    touched: bool,
}

/// The error for a bad value at `row` (from 0) of the keys' `column`.
fn invalid(column: &str, row: usize, message: String) -> Error {
    Error::InvalidValue {
        table: "keys".to_owned(),
        column: column.to_owned(),
        row: row + 1,
        message,
    }
}

/// Column `name` of `keys` as `u64`, no nulls.
fn integers(keys: &RecordBatch, name: &str) -> Result<Vec<u64>> {
    let array = column(keys, name)?;
    if !array.data_type().is_integer() {
        return Err(Error::WrongType {
            column: name.to_owned(),
            found: array.data_type().to_string(),
            expected: "unsigned integers".to_owned(),
        });
    }
    let cast = arrow_cast::cast_with_options(
        array,
        &DataType::UInt64,
        &arrow_cast::CastOptions {
            safe: true,
            ..Default::default()
        },
    )?;
    let values = cast.as_primitive::<UInt64Type>();
    if let Some(i) = (0..values.len()).find(|&i| values.is_null(i)) {
        let what = if array.is_null(i) { "null" } else { "negative" };
        return Err(invalid(
            name,
            i,
            format!("{what} value, expected an unsigned integer"),
        ));
    }
    Ok(values.values().to_vec())
}

impl Records {
    fn read(
        keys: &RecordBatch,
        id_column: &str,
        status_column: &str,
        n_rules: usize,
    ) -> Result<Self> {
        let ids = column(keys, id_column)?;
        let (record, first_row) = Ids::records_of(id_column, ids)?;
        let rules = integers(keys, "rule")?;
        let hashes = integers(keys, "key")?;
        let order_keys = integers(keys, "order")?;
        let status_text = as_strings(status_column, column(keys, status_column)?)?;
        let n = first_row.len();
        let mut status: Vec<Option<Status>> = vec![None; n];
        let mut by_rule = vec![vec![0u64; n]; n_rules];
        let mut orders = vec![vec![u64::MAX; n]; n_rules];
        for row in 0..keys.num_rows() {
            let rec = record[row] as usize;
            let id = || arrow_cast::display::array_value_to_string(ids, row).unwrap_or_default();
            let given = (!status_text.is_null(row))
                .then(|| Status::parse(status_text.value(row)))
                .flatten()
                .ok_or_else(|| {
                    invalid(
                        status_column,
                        row,
                        format!(
                            "status {:?} is not one of unchanged, inserted, removed",
                            (!status_text.is_null(row)).then(|| status_text.value(row))
                        ),
                    )
                })?;
            if status[rec].is_some_and(|s| s != given) {
                return Err(invalid(
                    status_column,
                    row,
                    format!("record {:?} has two statuses", id()),
                ));
            }
            status[rec] = Some(given);
            let rule = rules[row];
            if rule >= n_rules as u64 {
                return Err(invalid(
                    "rule",
                    row,
                    format!("rule {rule} does not exist (the settings have {n_rules} rules)"),
                ));
            }
            if hashes[row] == 0 {
                return Err(invalid(
                    "key",
                    row,
                    "key 0 is reserved for \"no key\"".to_owned(),
                ));
            }
            let slot = &mut by_rule[rule as usize][rec];
            if *slot != 0 {
                return Err(invalid(
                    "rule",
                    row,
                    format!("record {:?} has two keys under rule {rule}", id()),
                ));
            }
            *slot = hashes[row];
            orders[rule as usize][rec] = order_keys[row];
        }
        Ok(Self {
            keys: by_rule,
            orders,
            status: status
                .into_iter()
                .map(|s| s.unwrap_or(Status::Unchanged))
                .collect(),
            first_row,
        })
    }

    /// Record counts of every block, and whether an inserted or removed record is in it.
    fn blocks(&self) -> FxHashMap<(u32, u64), Block> {
        let mut blocks: FxHashMap<(u32, u64), Block> = FxHashMap::default();
        for (rule, keys) in self.keys.iter().enumerate() {
            for (rec, &key) in keys.iter().enumerate().filter(|(_, k)| **k != 0) {
                let st = self.status[rec];
                let b = blocks.entry((rule as u32, key)).or_default();
                b.before += u32::from(st.present(false));
                b.after += u32::from(st.present(true));
                b.touched |= st != Status::Unchanged;
            }
        }
        blocks
    }
}

/// The blocks, cap and window of one comparison of two runs.
struct Runs<'a> {
    records: &'a Records,
    blocks: FxHashMap<(u32, u64), Block>,
    cap: u32,
    window: usize,
    /// `(rule, record)` → the record's position in its block's order in the earlier and the
    /// later run ([`NOT_EXPANDED`] where the block is not expanded or the record absent).
    positions: FxHashMap<(u32, u32), [u32; 2]>,
}

impl<'a> Runs<'a> {
    fn new(records: &'a Records, cap: u32, window: usize) -> Self {
        let mut runs = Self {
            blocks: records.blocks(),
            records,
            cap,
            window,
            positions: FxHashMap::default(),
        };
        let mut members: FxHashMap<(u32, u64), Vec<u32>> = FxHashMap::default();
        for (rule, keys) in records.keys.iter().enumerate() {
            for (rec, &key) in keys.iter().enumerate().filter(|(_, k)| **k != 0) {
                members
                    .entry((rule as u32, key))
                    .or_default()
                    .push(rec as u32);
            }
        }
        for ((rule, key), recs) in members {
            for after in [false, true] {
                let ordered = runs.ordered(rule, key, &recs, after);
                for (i, rec) in ordered.into_iter().enumerate() {
                    let slot = runs
                        .positions
                        .entry((rule, rec))
                        .or_insert([NOT_EXPANDED; 2]);
                    slot[usize::from(after)] = i as u32;
                }
            }
        }
        runs
    }

    /// Whether the block of `key` under `rule` is expanded into pairs in the run.
    fn expanded(&self, rule: usize, key: u64, after: bool) -> bool {
        self.blocks.get(&(rule as u32, key)).is_some_and(|b| {
            let size = if after { b.after } else { b.before };
            (2..=self.cap).contains(&size)
        })
    }

    /// The members `recs` of block (`rule`, `key`) present in the run, in the block's order
    /// (order key, then id); none when the block is not expanded in that run.
    fn ordered(&self, rule: u32, key: u64, recs: &[u32], after: bool) -> Vec<u32> {
        if !self.expanded(rule as usize, key, after) {
            return Vec::new();
        }
        let r = self.records;
        let mut here: Vec<u32> = recs
            .iter()
            .copied()
            .filter(|&x| r.status[x as usize].present(after))
            .collect();
        here.sort_unstable_by_key(|&x| (r.orders[rule as usize][x as usize], x));
        here
    }

    /// The rule owning the pair `(a, b)` in the run: the first whose expanded block holds both
    /// within the window of its order.
    fn owner(&self, a: usize, b: usize, after: bool) -> Option<u32> {
        let r = self.records;
        if !(r.status[a].present(after) && r.status[b].present(after)) {
            return None;
        }
        let position = |rule: usize, rec: usize| {
            self.positions
                .get(&(rule as u32, rec as u32))
                .map_or(NOT_EXPANDED, |p| p[usize::from(after)])
        };
        (0..r.keys.len())
            .find(|&rule| {
                let (ka, kb) = (r.keys[rule][a], r.keys[rule][b]);
                ka != 0 && ka == kb && within(position(rule, a), position(rule, b), self.window)
            })
            .map(|rule| rule as u32)
    }

    /// Every pair of a block with a changed member, in a run where that block is expanded
    /// (within the window of that run's order): the only pairs whose presence can differ
    /// between the runs.
    fn suspects(&self) -> Vec<u64> {
        let r = self.records;
        let mut members: FxHashMap<(u32, u64), Vec<u32>> = FxHashMap::default();
        for (rule, keys) in r.keys.iter().enumerate() {
            for (rec, &key) in keys.iter().enumerate().filter(|(_, k)| **k != 0) {
                let k = (rule as u32, key);
                let b = self.blocks[&k];
                let small = |n: u32| (2..=self.cap).contains(&n);
                if b.touched && (small(b.before) || small(b.after)) {
                    members.entry(k).or_default().push(rec as u32);
                }
            }
        }
        let mut pairs = Vec::new();
        for ((rule, key), recs) in &members {
            for after in [false, true] {
                let here = self.ordered(*rule, *key, recs, after);
                for (i, &a) in here.iter().enumerate() {
                    let end = here.len().min((i + 1).saturating_add(self.window));
                    pairs.extend(here[i + 1..end].iter().map(|&b| pack(a.min(b), a.max(b))));
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }
}

/// The candidate pairs that appear (`added`) and disappear (`removed`) between two runs over
/// the records of `keys`, a [`blocking_keys`](super::blocking_keys) table (columns
/// `id_column`, `rule`, `key`, `order`) with a `status_column` saying per record whether it is in both
/// runs (`unchanged`), only the later (`inserted`) or only the earlier (`removed`).
///
/// A run's candidates are those of [`crate::block::candidates`] under `settings`: pairs sharing
/// a key under some rule whose block has at most `max_block_size` records in that run, within
/// `pairs_per_record` of each other in the block's order (order key, then id). So a block that
/// crosses the cap (up or down) adds or removes the pairs of its unchanged records too, and a
/// record arriving in (or leaving) a block larger than the window moves its neighbours apart
/// (or together), unless another rule still pairs them. One row per changed pair, smaller id
/// first, in id order: `<id>_l`, `<id>_r`, `change`, and `rule`, the rule owning the pair in
/// the run that has it (the first rule that pairs both records).
///
/// # Errors
/// Invalid settings, missing or mistyped columns, a null id, a rule out of range, a key of 0, a
/// record with two keys under one rule or two statuses, an unknown status.
pub fn candidate_changes(
    keys: &RecordBatch,
    id_column: &str,
    status_column: &str,
    settings: &Settings,
) -> Result<RecordBatch> {
    settings.validate()?;
    let records = Records::read(
        keys,
        id_column,
        status_column,
        settings.blocking_rules.len(),
    )?;
    let runs = Runs::new(
        &records,
        settings.max_block_size.min(u32::MAX as usize) as u32,
        settings.pairs_per_record,
    );
    let mut left = Vec::new();
    let mut right = Vec::new();
    let mut change = Vec::new();
    let mut rule = Vec::new();
    for p in runs.suspects() {
        let (a, b) = ((p >> 32) as usize, (p & 0xffff_ffff) as usize);
        let (before, after) = (runs.owner(a, b, false), runs.owner(a, b, true));
        let (what, owner) = match (before, after) {
            (None, Some(r)) => ("added", r),
            (Some(r), None) => ("removed", r),
            _ => continue,
        };
        left.push(records.first_row[a]);
        right.push(records.first_row[b]);
        change.push(what);
        rule.push(owner);
    }
    let ids = column(keys, id_column)?;
    let take =
        |rows: Vec<u32>| arrow_select::take::take(ids.as_ref(), &UInt32Array::from(rows), None);
    let schema = Schema::new(vec![
        Field::new(format!("{id_column}_l"), ids.data_type().clone(), false),
        Field::new(format!("{id_column}_r"), ids.data_type().clone(), false),
        Field::new("change", DataType::Utf8, false),
        Field::new("rule", DataType::UInt32, false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        take(left)?,
        take(right)?,
        Arc::new(StringArray::from(change)),
        Arc::new(UInt32Array::from(rule)),
    ];
    Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
}

#[cfg(test)]
#[allow(clippy::many_single_char_names)] // a, b: the two key columns, as in block's tests
mod tests {
    use super::*;
    use crate::block::{KeyExpr, candidates, rule_keys, unpack};
    use crate::column::CodedColumn;
    use crate::settings::tests::sample;
    use arrow_array::types::UInt32Type;
    use arrow_array::{StringViewArray, UInt64Array};
    use std::collections::BTreeMap;

    fn coded(values: &[Option<String>]) -> CodedColumn {
        let v: Vec<Option<&str>> = values.iter().map(Option::as_deref).collect();
        CodedColumn::encode(&StringViewArray::from(v), |s| Some(s.to_owned()))
    }

    fn exprs() -> Vec<Vec<KeyExpr>> {
        let e = |s: &str| KeyExpr::parse(s).unwrap();
        vec![vec![e("a")], vec![e("b")], vec![e("a"), e("b")]]
    }

    /// Order key of record `rec` under `rule`, from its `order` value.
    fn order_of(order: &[u64], rule: usize, rec: usize) -> u64 {
        // Each rule orders differently; rule 1 in reverse.
        if rule == 1 {
            10 - order[rec]
        } else {
            order[rec]
        }
    }

    /// Batch candidates of the records `present` (their `a`, `b` and `order` values), as
    /// record pairs with the rule owning each: the first rule in whose prefix of rules the pair
    /// appears.
    fn batch(
        (a, b, order): (&[Option<String>], &[Option<String>], &[u64]),
        present: &[usize],
        cap: usize,
        window: usize,
    ) -> BTreeMap<(usize, usize), u32> {
        let pick = |v: &[Option<String>]| present.iter().map(|&i| v[i].clone()).collect::<Vec<_>>();
        let (ca, cb) = (coded(&pick(a)), coded(&pick(b)));
        let all = exprs();
        let parts = [vec![&ca], vec![&cb], vec![&ca, &cb]];
        let orders: Vec<Vec<u64>> = (0..all.len())
            .map(|rule| present.iter().map(|&i| order_of(order, rule, i)).collect())
            .collect();
        // Present records in increasing id order: their rank is their index.
        let rank: Vec<u32> = (0..present.len() as u32).collect();
        let limits = crate::block::Limits {
            max_block_size: cap,
            pairs_per_record: window,
        };
        let mut owned = BTreeMap::new();
        for r in 0..all.len() {
            let input = crate::block::BlockingInput {
                exprs: &all[..=r],
                parts: &parts[..=r],
                orders: &orders[..=r],
                rank: &rank,
                split: None,
            };
            let c = candidates(&input, limits, |_| Ok(())).unwrap();
            for p in c.pairs {
                let (x, y) = unpack(p);
                let (x, y) = (present[x as usize], present[y as usize]);
                owned.entry((x.min(y), x.max(y))).or_insert(r as u32);
            }
        }
        owned
    }

    /// The keys table of all records, with statuses (order keys from `order`, or all equal).
    fn keys_table(a: &[Option<String>], b: &[Option<String>], status: &[Status]) -> RecordBatch {
        ordered_keys_table((a, b, &vec![0; a.len()]), status)
    }

    fn ordered_keys_table(
        (a, b, order): (&[Option<String>], &[Option<String>], &[u64]),
        status: &[Status],
    ) -> RecordBatch {
        let (ca, cb) = (coded(a), coded(b));
        let all = exprs();
        let parts = [vec![&ca], vec![&cb], vec![&ca, &cb]];
        let (mut id, mut rule, mut key, mut ord, mut st) = (vec![], vec![], vec![], vec![], vec![]);
        for (r, (e, p)) in all.iter().zip(&parts).enumerate() {
            for (rec, k) in rule_keys(e, p, a.len()).into_iter().enumerate() {
                if k != 0 {
                    id.push(rec as u64 * 10);
                    rule.push(r as u32);
                    key.push(k);
                    ord.push(order_of(order, r, rec));
                    st.push(Status::NAMES.iter().find(|x| x.1 == status[rec]).unwrap().0);
                }
            }
        }
        RecordBatch::try_from_iter(vec![
            ("id", Arc::new(UInt64Array::from(id)) as ArrayRef),
            ("rule", Arc::new(UInt32Array::from(rule)) as ArrayRef),
            ("key", Arc::new(UInt64Array::from(key)) as ArrayRef),
            ("order", Arc::new(UInt64Array::from(ord)) as ArrayRef),
            ("status", Arc::new(StringArray::from(st)) as ArrayRef),
        ])
        .unwrap()
    }

    fn settings(cap: usize) -> Settings {
        let mut s = sample();
        s.blocking_rules = (0..3)
            .map(|_| crate::settings::BlockingRule {
                keys: vec!["x".into()],
            })
            .collect();
        s.max_block_size = cap;
        s
    }

    proptest::proptest! {
        /// The change set is the symmetric difference of the two batch runs' candidates, each
        /// pair with the rule that owns it in the run holding it, whatever the window.
        #[test]
        fn changes_are_the_difference_of_two_batch_runs(
            values in proptest::collection::vec(
                (proptest::option::of(0u8..4), proptest::option::of(0u8..3), 0u8..3, 0u64..4),
                1..30),
            cap in 2usize..10,
            window in 1usize..5,
        ) {
            let text = |x: Option<u8>| x.map(|x| format!("v{x}"));
            let a: Vec<_> = values.iter().map(|v| text(v.0)).collect();
            let b: Vec<_> = values.iter().map(|v| text(v.1)).collect();
            let order: Vec<u64> = values.iter().map(|v| v.3).collect();
            let status: Vec<Status> = values.iter().map(|v| Status::NAMES[v.2 as usize].1).collect();
            let before: Vec<usize> = (0..a.len()).filter(|&i| status[i].present(false)).collect();
            let after: Vec<usize> = (0..a.len()).filter(|&i| status[i].present(true)).collect();
            let records = (a.as_slice(), b.as_slice(), order.as_slice());
            let (old, new) = (batch(records, &before, cap, window), batch(records, &after, cap, window));
            let mut want = Vec::new();
            for (p, r) in &old {
                if !new.contains_key(p) { want.push((p.0 as u64 * 10, p.1 as u64 * 10, "removed".to_owned(), *r)); }
            }
            for (p, r) in &new {
                if !old.contains_key(p) { want.push((p.0 as u64 * 10, p.1 as u64 * 10, "added".to_owned(), *r)); }
            }
            want.sort();
            let mut s = settings(cap);
            s.pairs_per_record = window;
            let out = candidate_changes(&ordered_keys_table(records, &status), "id", "status", &s).unwrap();
            let l = out.column(0).as_primitive::<UInt64Type>();
            let r = out.column(1).as_primitive::<UInt64Type>();
            let c = out.column(2).as_string::<i32>();
            let o = out.column(3).as_primitive::<UInt32Type>();
            let got: Vec<_> = (0..out.num_rows())
                .map(|i| (l.value(i), r.value(i), c.value(i).to_owned(), o.value(i)))
                .collect();
            let mut sorted = got.clone();
            sorted.sort();
            proptest::prop_assert_eq!(&sorted, &want);
            let order: Vec<_> = got.iter().map(|g| (g.0, g.1)).collect();
            proptest::prop_assert!(order.windows(2).all(|w| w[0] < w[1]), "in id order");
        }
    }

    #[test]
    fn a_block_crossing_the_cap_takes_its_unchanged_pairs_along() {
        let v = |s: &str| Some(s.to_owned());
        // Three unchanged "x" records and one inserted: with a cap of 3, the block of rule 0
        // grows past it and its three pairs go, except the one rule 1 also expands.
        let a = vec![v("x"), v("x"), v("x"), v("x")];
        let b = vec![v("p"), v("p"), v("q"), None];
        let st = [
            Status::Unchanged,
            Status::Unchanged,
            Status::Unchanged,
            Status::Inserted,
        ];
        let out =
            candidate_changes(&keys_table(&a, &b, &st), "id", "status", &settings(3)).unwrap();
        let l = out.column(0).as_primitive::<UInt64Type>();
        let r = out.column(1).as_primitive::<UInt64Type>();
        let got: Vec<(u64, u64, &str)> = (0..out.num_rows())
            .map(|i| {
                (
                    l.value(i),
                    r.value(i),
                    out.column(2).as_string::<i32>().value(i),
                )
            })
            .collect();
        assert_eq!(got, vec![(0, 20, "removed"), (10, 20, "removed")]);
        // And back down: removing it restores them, owned by rule 0 again.
        let st = [
            Status::Unchanged,
            Status::Unchanged,
            Status::Unchanged,
            Status::Removed,
        ];
        let out =
            candidate_changes(&keys_table(&a, &b, &st), "id", "status", &settings(3)).unwrap();
        let o = out.column(3).as_primitive::<UInt32Type>();
        assert_eq!(out.num_rows(), 2);
        assert!(
            (0..2).all(|i| out.column(2).as_string::<i32>().value(i) == "added" && o.value(i) == 0)
        );
    }

    #[test]
    fn bad_keys_tables_are_refused_naming_column_and_row() {
        let v = |s: &str| Some(s.to_owned());
        let a = vec![v("x"), v("x")];
        let b = vec![v("p"), v("p")];
        let table = keys_table(&a, &b, &[Status::Unchanged, Status::Inserted]);
        let with = |name: &str, col: ArrayRef| {
            let i = table.schema().index_of(name).unwrap();
            let mut cols = table.columns().to_vec();
            cols[i] = col;
            RecordBatch::try_new(table.schema(), cols).unwrap()
        };
        let n = table.num_rows();
        let mut st = vec!["unchanged"; n];
        st[1] = "gone";
        let e = candidate_changes(
            &with("status", Arc::new(StringArray::from(st))),
            "id",
            "status",
            &settings(3),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`status`") && e.contains("row 2") && e.contains("\"gone\""),
            "{e}"
        );
        let e = candidate_changes(
            &with("rule", Arc::new(UInt32Array::from(vec![7; n]))),
            "id",
            "status",
            &settings(3),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`rule`") && e.contains("rule 7"), "{e}");
        let e = candidate_changes(&table, "record", "status", &settings(3))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`record` is missing"), "{e}");
    }
}
