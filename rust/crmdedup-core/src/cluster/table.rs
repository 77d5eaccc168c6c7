//! The clustering kernel over tables: record ids, scored pairs and steward decisions in, one
//! row per record with its cluster out, as a run's clusters output.
//!
//! Pairs must name known records. Decisions may name records that are gone (deleted or merged
//! since the decision was taken): those are ignored, as are null or unconvertible ids.

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;

use super::{Conflict, Constraints, Edge, cluster_with};
use crate::column::column;
use crate::error::{Error, Result};
use crate::ids::{IdIndex, Ids};
use crate::output::clusters_batch;
use crate::settings::ClusterMethod;

/// Column names of a pairs table.
#[derive(Debug, Clone, Copy)]
pub struct PairColumns<'a> {
    /// Id of one record.
    pub left: &'a str,
    /// Id of the other record.
    pub right: &'a str,
    /// Match probability of the pair, in [0, 1].
    pub probability: &'a str,
}

/// Pairs of record ids, as two arrays of equal length (`id_l`, `id_r` in a table).
#[derive(Debug, Clone)]
pub struct IdPairs {
    /// One id of each pair.
    pub left: ArrayRef,
    /// The other id.
    pub right: ArrayRef,
}

impl IdPairs {
    /// The columns `id_l` and `id_r` of `batch`.
    ///
    /// # Errors
    /// [`Error::MissingColumn`] when one is missing.
    pub fn from_batch(batch: &RecordBatch) -> Result<Self> {
        Ok(Self {
            left: column(batch, "id_l")?.clone(),
            right: column(batch, "id_r")?.clone(),
        })
    }

    /// Row pairs of the pairs whose two ids are known: left ids looked up in `left` (row
    /// offset added), right ids in `right`. Pairs with an unknown or null id are left out.
    fn rows(&self, left: (&IdIndex, u32), right: (&IdIndex, u32)) -> Result<Vec<(u32, u32)>> {
        let l = left.0.rows_of("id_l", &self.left)?;
        let r = right.0.rows_of("id_r", &self.right)?;
        Ok(l.iter()
            .zip(&r)
            .filter_map(|(a, b)| Some((a.as_ref()? + left.1, b.as_ref()? + right.1)))
            .collect())
    }
}

/// Steward decisions by record id: must-link pairs are joined whatever their score, cannot-link
/// pairs never end in one cluster. Ids that name no record are ignored.
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    /// Pairs to join.
    pub must_link: Option<IdPairs>,
    /// Pairs to keep apart.
    pub cannot_link: Option<IdPairs>,
}

impl Decisions {
    /// The decisions as row pairs: `id_l` looked up in `left`, `id_r` in `right`, each with its
    /// row offset (the same index twice for deduplication).
    ///
    /// # Errors
    /// [`Error::WrongType`] when a decision column cannot hold ids.
    pub fn constraints(
        &self,
        left: (&IdIndex, u32),
        right: (&IdIndex, u32),
    ) -> Result<Constraints> {
        let rows = |pairs: &Option<IdPairs>| {
            pairs
                .as_ref()
                .map_or(Ok(Vec::new()), |p| p.rows(left, right))
        };
        Ok(Constraints {
            must_link: rows(&self.must_link)?,
            cannot_link: rows(&self.cannot_link)?,
        })
    }
}

/// The error of a [`Conflict`], naming records through `id_of(row)`.
#[must_use]
pub fn conflict_error(conflict: &Conflict, id_of: &dyn Fn(u32) -> String) -> Error {
    /// Ids of a long chain shown at each end.
    const SHOWN: usize = 5;
    let ids: Vec<String> = conflict
        .chain
        .iter()
        .map(|&r| format!("`{}`", id_of(r)))
        .collect();
    let chain = if ids.len() > 2 * SHOWN {
        format!(
            "{}, … {}",
            ids[..SHOWN].join(", "),
            ids[ids.len() - SHOWN..].join(", ")
        )
    } else {
        ids.join(", ")
    };
    Error::ConflictingDecisions {
        left: id_of(conflict.left),
        right: id_of(conflict.right),
        chain,
    }
}

/// Text of the id of `row`, for messages.
pub(crate) fn id_text(ids: &Ids, row: usize) -> String {
    arrow_cast::display::array_value_to_string(&ids.array, row).unwrap_or_default()
}

/// Scored pairs as edges between rows of `ids`.
fn edges(index: &IdIndex, pairs: &RecordBatch, columns: &PairColumns<'_>) -> Result<Vec<Edge>> {
    let p = probabilities(pairs, columns.probability)?;
    let rows = pair_rows((index, index), pairs, columns.left, columns.right)?;
    Ok(rows
        .into_iter()
        .zip(p)
        .map(|((a, b), p)| Edge { a, b, p })
        .collect())
}

/// The rows of the two records each pair of `pairs` names: column `left` looked up in the
/// first index, `right` in the second (the same index twice within one table; the left and
/// right tables' when linking, each row counted within its own table).
///
/// # Errors
/// [`Error::UnknownId`] for the first id naming no record, [`Error::InvalidPair`] for a null
/// id, [`Error::MissingColumn`] or [`Error::WrongType`] for the columns.
pub(crate) fn pair_rows(
    (index_l, index_r): (&IdIndex, &IdIndex),
    pairs: &RecordBatch,
    left: &str,
    right: &str,
) -> Result<Vec<(u32, u32)>> {
    let (l, r) = (column(pairs, left)?, column(pairs, right)?);
    let rows_l = index_l.rows_of(left, l)?;
    let rows_r = index_r.rows_of(right, r)?;
    rows_l
        .iter()
        .zip(&rows_r)
        .enumerate()
        .map(|(i, (a, b))| {
            Ok((
                a.ok_or_else(|| unknown(left, l, i))?,
                b.ok_or_else(|| unknown(right, r, i))?,
            ))
        })
        .collect()
}

/// The error for row `i` (from 0) of a pairs column whose id names no record.
fn unknown(name: &str, array: &ArrayRef, i: usize) -> Error {
    if array.is_null(i) {
        return Error::InvalidPair {
            column: name.to_owned(),
            row: i + 1,
            message: "null id".to_owned(),
        };
    }
    Error::UnknownId {
        column: name.to_owned(),
        value: arrow_cast::display::array_value_to_string(array, i).unwrap_or_default(),
        row: i + 1,
    }
}

/// The probability column of the pairs as floats, each in [0, 1].
fn probabilities(pairs: &RecordBatch, name: &str) -> Result<Vec<f64>> {
    let array = column(pairs, name)?;
    if !(array.data_type().is_numeric() || *array.data_type() == DataType::Null) {
        return Err(Error::WrongType {
            column: name.to_owned(),
            found: array.data_type().to_string(),
            expected: "match probabilities (numbers in [0, 1])".to_owned(),
        });
    }
    let cast = arrow_cast::cast(array, &DataType::Float64)?;
    let values = cast.as_primitive::<Float64Type>();
    let bad =
        (0..values.len()).find(|&i| values.is_null(i) || !(0.0..=1.0).contains(&values.value(i)));
    if let Some(i) = bad {
        return Err(Error::InvalidPair {
            column: name.to_owned(),
            row: i + 1,
            message: if values.is_null(i) {
                "null probability".to_owned()
            } else {
                format!("probability {} is not in [0, 1]", values.value(i))
            },
        });
    }
    Ok(values.values().to_vec())
}

/// Cluster the records of `ids` from scored `pairs` and steward `decisions`: one row per
/// record, in the order of `ids`, with `cluster_id` (the smallest id of its cluster) and
/// `cluster_size`, as a run's clusters output.
///
/// # Errors
/// [`Error::UnknownId`] for the first pair naming no record, [`Error::InvalidPair`] for a null
/// id or a probability outside [0, 1], [`Error::MissingColumn`] or [`Error::WrongType`] for the
/// pairs' or decisions' columns, and [`Error::ConflictingDecisions`] when must-link pairs alone
/// join a cannot-link pair.
pub fn cluster_pairs(
    ids: &Ids,
    pairs: &RecordBatch,
    columns: &PairColumns<'_>,
    decisions: &Decisions,
    method: ClusterMethod,
    guard: f64,
) -> Result<RecordBatch> {
    if !(guard > 0.0 && guard < 1.0) {
        return Err(Error::settings(
            "guard_probability",
            format!("{guard} is not strictly between 0 and 1"),
        ));
    }
    let index = IdIndex::new(ids)?;
    let edges = edges(&index, pairs, columns)?;
    let constraints = decisions.constraints((&index, 0), (&index, 0))?;
    let reps = cluster_with(ids.len(), &edges, &ids.rank, method, guard, &constraints)
        .map_err(|c| conflict_error(&c, &|row| id_text(ids, row as usize)))?;
    clusters_batch(ids, &reps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Float64Array, Int64Array, StringArray, UInt32Array};
    use std::sync::Arc;

    const COLUMNS: PairColumns<'static> = PairColumns {
        left: "id_l",
        right: "id_r",
        probability: "match_probability",
    };

    fn pairs(l: ArrayRef, r: ArrayRef, p: &[f64]) -> RecordBatch {
        RecordBatch::try_from_iter(vec![
            ("id_l", l),
            ("id_r", r),
            (
                "match_probability",
                Arc::new(Float64Array::from(p.to_vec())) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    fn text(v: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    fn column_of(batch: &RecordBatch, i: usize) -> Vec<String> {
        (0..batch.num_rows())
            .map(|r| arrow_cast::display::array_value_to_string(batch.column(i), r).unwrap())
            .collect()
    }

    #[test]
    fn clusters_come_in_the_order_of_the_ids_named_after_their_smallest_id() {
        let ids = Ids::from_array("key", text(&["c", "a", "b", "d"])).unwrap();
        let p = pairs(text(&["c", "b"]), text(&["b", "d"]), &[0.99, 0.95]);
        let out = cluster_pairs(
            &ids,
            &p,
            &COLUMNS,
            &Decisions::default(),
            ClusterMethod::ConnectedComponents,
            0.999,
        )
        .unwrap();
        assert_eq!(out.schema().field(0).name(), "key");
        assert_eq!(column_of(&out, 0), ["c", "a", "b", "d"]);
        assert_eq!(column_of(&out, 1), ["b", "a", "b", "b"]);
        assert_eq!(column_of(&out, 2), ["3", "1", "3", "3"]);
        // A cannot-link between c and d splits the chain at its weaker link; decisions on
        // records that are gone are ignored.
        let decisions = Decisions {
            must_link: Some(IdPairs {
                left: text(&["a", "zz"]),
                right: text(&["d", "a"]),
            }),
            cannot_link: Some(IdPairs {
                left: text(&["d"]),
                right: text(&["c"]),
            }),
        };
        let out = cluster_pairs(
            &ids,
            &p,
            &COLUMNS,
            &decisions,
            ClusterMethod::Guarded,
            0.999,
        )
        .unwrap();
        assert_eq!(column_of(&out, 1), ["b", "a", "b", "a"]);
    }

    #[test]
    fn integer_ids_accept_pairs_of_another_integer_type() {
        let ids = Ids::from_array("id", Arc::new(UInt32Array::from(vec![7, 3, 5]))).unwrap();
        let l: ArrayRef = Arc::new(Int64Array::from(vec![7]));
        let r: ArrayRef = Arc::new(Int64Array::from(vec![5]));
        let out = cluster_pairs(
            &ids,
            &pairs(l, r, &[0.9]),
            &COLUMNS,
            &Decisions::default(),
            ClusterMethod::Guarded,
            0.999,
        )
        .unwrap();
        assert_eq!(column_of(&out, 1), ["5", "3", "5"]);
    }

    #[test]
    fn bad_pairs_and_conflicting_decisions_are_named() {
        let ids = Ids::from_array("id", text(&["a", "b", "c"])).unwrap();
        let run = |p: &RecordBatch, d: &Decisions| {
            cluster_pairs(&ids, p, &COLUMNS, d, ClusterMethod::Guarded, 0.999)
                .unwrap_err()
                .to_string()
        };
        let none = Decisions::default();
        let p = pairs(text(&["a", "b"]), text(&["b", "x"]), &[0.9, 0.9]);
        assert_eq!(
            run(&p, &none),
            "id \"x\" in column `id_r` at row 2 of the pairs (counting from 1) is not among the \
             records' ids"
        );
        let p = pairs(text(&["a"]), text(&["b"]), &[1.5]);
        assert!(run(&p, &none).contains("probability 1.5 is not in [0, 1]"));
        let d = Decisions {
            must_link: Some(IdPairs {
                left: text(&["a", "c"]),
                right: text(&["b", "b"]),
            }),
            cannot_link: Some(IdPairs {
                left: text(&["c"]),
                right: text(&["a"]),
            }),
        };
        let p = pairs(text(&[]), text(&[]), &[]);
        assert_eq!(
            run(&p, &d),
            "decisions conflict: cannot-link `a` and `c` are joined by the must-link chain `a`, \
             `b`, `c`\nhint: remove the cannot-link pair or one of the must-link pairs of the chain"
        );
    }
}
