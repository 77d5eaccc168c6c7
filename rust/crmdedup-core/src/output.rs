//! The outputs of a run as Arrow batches: one row per record with its cluster, one row per
//! matched pair with its levels and weights, and the report of what the run did.

use std::sync::Arc;

use arrow_array::{
    ArrayRef, Float64Array, Int8Array, RecordBatch, StringArray, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use rayon::prelude::*;
use serde::Serialize;

use crate::block::{Candidates, SkippedBlock, unpack};
use crate::compare::{Comparison, Graded};
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::ids::Ids;
use crate::score::{Matched, Scorer, probability};

/// What a run did, for the user and the sobriety report.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// Input rows (both sides for linkage).
    pub rows: usize,
    /// Rows of the left table (linkage only).
    pub rows_left: Option<usize>,
    /// Distinct candidate pairs after the union of rules.
    pub candidate_pairs: u64,
    /// Pairs each rule produced on its own.
    pub pairs_per_rule: Vec<u64>,
    /// Blocks over `max_block_size`, not expanded (largest 20).
    pub skipped_blocks: Vec<SkippedBlock>,
    /// All skipped blocks.
    pub skipped_blocks_total: usize,
    /// Rows in skipped blocks (a row may count once per rule).
    pub skipped_rows_total: usize,
    /// Expanded blocks larger than `pairs_per_record + 1`, paired along their order (each
    /// record with the next `pairs_per_record`) rather than in full.
    pub windowed_blocks: u64,
    /// Pairs at or above the threshold.
    pub matched_pairs: u64,
    /// Clusters (singletons included).
    pub clusters: usize,
    /// Clusters of two or more records.
    pub multi_record_clusters: usize,
    /// Records that are not their cluster's first (what a merge would remove).
    pub duplicate_records: usize,
    /// Largest cluster size.
    pub largest_cluster: usize,
    /// Clusters over `max_cluster_size`: (row naming the cluster, size), largest first.
    pub oversized_clusters: Vec<(usize, usize)>,
    /// Whether a model was fitted in this run (false when one was given, or when the data was
    /// too small to fit and the documented defaults were used).
    pub fitted: bool,
    /// Milliseconds per stage.
    pub timings_ms: Vec<(String, u64)>,
}

/// Records per cluster, indexed by the row naming the cluster (`reps[row]`).
fn cluster_sizes(reps: &[u32]) -> Vec<u32> {
    let mut sizes = vec![0u32; reps.len()];
    for &r in reps {
        sizes[r as usize] += 1;
    }
    sizes
}

impl Report {
    /// The cluster counts of `sizes` (see [`cluster_sizes`]); clusters over
    /// `max_cluster_size` are listed largest first, then by the rank of the row naming them.
    fn count_clusters(&mut self, sizes: &[u32], rank: &[u32], max_cluster_size: usize) {
        self.clusters = sizes.iter().filter(|&&s| s > 0).count();
        self.multi_record_clusters = sizes.iter().filter(|&&s| s > 1).count();
        self.duplicate_records = sizes.len() - self.clusters;
        self.largest_cluster = sizes.iter().copied().max().unwrap_or(0) as usize;
        let mut oversized: Vec<(usize, usize)> = sizes
            .iter()
            .enumerate()
            .filter(|(_, s)| **s as usize > max_cluster_size)
            .map(|(r, s)| (r, *s as usize))
            .collect();
        oversized.sort_by(|a, b| b.1.cmp(&a.1).then(rank[a.0].cmp(&rank[b.0])));
        self.oversized_clusters = oversized;
    }
}

/// One row per record of `ids`, in their order: the id, `cluster_id` (the id of the record
/// `reps[row]` naming the cluster) and `cluster_size`.
///
/// # Errors
/// Arrow errors only.
pub fn clusters_batch(ids: &Ids, reps: &[u32]) -> Result<RecordBatch> {
    let sizes = cluster_sizes(reps);
    let size_col: ArrayRef = Arc::new(UInt32Array::from_iter_values(
        reps.iter().map(|&r| sizes[r as usize]),
    ));
    let take = UInt32Array::from(reps.to_vec());
    let cluster_id = arrow_select::take::take(ids.array.as_ref(), &take, None)?;
    let schema = Schema::new(vec![
        Field::new(&ids.name, ids.array.data_type().clone(), false),
        Field::new("cluster_id", ids.array.data_type().clone(), false),
        Field::new("cluster_size", DataType::UInt32, false),
    ]);
    Ok(RecordBatch::try_new(
        Arc::new(schema),
        vec![ids.array.clone(), cluster_id, size_col],
    )?)
}

/// The clusters of a run (see [`clusters_batch`]; for linkage, `source_dataset`, the ids of
/// both tables stacked, and clusters numbered by the rank of the row naming them), with the
/// cluster counts written into `report`.
pub(crate) fn cluster_batch(
    dataset: &Dataset,
    reps: &[u32],
    max_cluster_size: usize,
    report: &mut Report,
) -> Result<RecordBatch> {
    let sizes = cluster_sizes(reps);
    report.count_clusters(&sizes, &dataset.rank, max_cluster_size);
    let ids = &dataset.ids;
    if dataset.split.is_none() {
        return clusters_batch(&ids[0], reps);
    }
    let size_col: ArrayRef = Arc::new(UInt32Array::from_iter_values(
        reps.iter().map(|&r| sizes[r as usize]),
    ));
    let (left, right) = (&ids[0], &ids[1]);
    let id_col = stack_ids(left, right)?;
    let source: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..reps.len()).map(|r| if r < left.len() { "left" } else { "right" }),
    ));
    let cluster_id: ArrayRef = Arc::new(UInt64Array::from_iter_values(
        reps.iter().map(|&r| u64::from(dataset.rank[r as usize])),
    ));
    let schema = Schema::new(vec![
        Field::new("source_dataset", DataType::Utf8, false),
        Field::new(&left.name, id_col.data_type().clone(), false),
        Field::new("cluster_id", DataType::UInt64, false),
        Field::new("cluster_size", DataType::UInt32, false),
    ]);
    Ok(RecordBatch::try_new(
        Arc::new(schema),
        vec![source, id_col, cluster_id, size_col],
    )?)
}

/// Left ids then right ids in one column of a common type.
fn stack_ids(left: &Ids, right: &Ids) -> Result<ArrayRef> {
    let common = |dt: &DataType| {
        if dt.is_signed_integer() {
            DataType::Int64
        } else if dt.is_unsigned_integer() {
            DataType::UInt64
        } else {
            DataType::Utf8View
        }
    };
    let (lt, rt) = (
        common(left.array.data_type()),
        common(right.array.data_type()),
    );
    if lt != rt {
        return Err(Error::WrongType {
            column: right.name.clone(),
            found: right.array.data_type().to_string(),
            expected: format!(
                "the same kind of id as the left table ({})",
                left.array.data_type()
            ),
        });
    }
    let l = arrow_cast::cast(&left.array, &lt)?;
    let r = arrow_cast::cast(&right.array, &rt)?;
    Ok(arrow_select::concat::concat(&[l.as_ref(), r.as_ref()])?)
}

/// Matched pairs as row pairs oriented (left id first for linkage, smaller id first for
/// dedupe) and sorted by id ranks, with the index of each into `matched`.
fn oriented(dataset: &Dataset, cands: &Candidates, matched: &Matched) -> Vec<(u32, u32, usize)> {
    let rank = &dataset.rank;
    let mut order: Vec<(u32, u32, usize)> = matched
        .kept
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let (a, b) = unpack(cands.pairs[i]);
            if dataset.split.is_none() && rank[a as usize] > rank[b as usize] {
                (b, a, k)
            } else {
                (a, b, k)
            }
        })
        .collect();
    order.par_sort_unstable_by_key(|&(a, b, _)| (rank[a as usize], rank[b as usize]));
    order
}

/// One row per matched pair: both ids, `match_weight`, `match_probability`, then
/// `gamma_<comparison>` and `weight_<comparison>` per comparison.
pub(crate) fn pair_batch(
    dataset: &Dataset,
    comparisons: &[Comparison<'_>],
    scorer: &Scorer<'_>,
    cands: &Candidates,
    graded: &Graded,
    matched: &Matched,
) -> Result<RecordBatch> {
    let order = oriented(dataset, cands, matched);
    pairs_in_order(dataset, comparisons, scorer, graded, matched, &order)
}

/// [`pair_batch`] with the rows in `order`: `(row_l, row_r, k)` for the `k`-th matched pair,
/// its left id read from `row_l` and its right id from `row_r`.
pub(crate) fn pairs_in_order(
    dataset: &Dataset,
    comparisons: &[Comparison<'_>],
    scorer: &Scorer<'_>,
    graded: &Graded,
    matched: &Matched,
    order: &[(u32, u32, usize)],
) -> Result<RecordBatch> {
    let n_comp = comparisons.len();
    let weights = &matched.weights;
    let offset = dataset.split.unwrap_or(0) as u32;
    let left = &dataset.ids[0];
    let right = dataset.ids.get(1).unwrap_or(left);
    let take_l = UInt32Array::from_iter_values(order.iter().map(|o| o.0));
    let take_r = UInt32Array::from_iter_values(order.iter().map(|o| o.1 - offset));
    let mut fields = vec![
        Field::new(
            format!("{}_l", left.name),
            left.array.data_type().clone(),
            false,
        ),
        Field::new(
            format!("{}_r", right.name),
            right.array.data_type().clone(),
            false,
        ),
        Field::new("match_weight", DataType::Float64, false),
        Field::new("match_probability", DataType::Float64, false),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        arrow_select::take::take(left.array.as_ref(), &take_l, None)?,
        arrow_select::take::take(right.array.as_ref(), &take_r, None)?,
        Arc::new(Float64Array::from_iter_values(
            order.iter().map(|o| weights[o.2]),
        )),
        Arc::new(Float64Array::from_iter_values(
            order.iter().map(|o| probability(weights[o.2])),
        )),
    ];
    let kept = &matched.kept;
    for (c, comp) in comparisons.iter().enumerate() {
        let level = |o: &(u32, u32, usize)| graded.gammas[kept[o.2] * n_comp + c];
        fields.push(Field::new(
            format!("gamma_{}", comp.spec.name),
            DataType::Int8,
            false,
        ));
        columns.push(Arc::new(Int8Array::from_iter_values(
            order.iter().map(level),
        )));
        fields.push(Field::new(
            format!("weight_{}", comp.spec.name),
            DataType::Float64,
            false,
        ));
        columns.push(Arc::new(Float64Array::from_iter_values(order.iter().map(
            |o| {
                let mask = graded.masks[kept[o.2]];
                let rows = (o.0 as usize, o.1 as usize);
                let set = scorer.rule_set(mask);
                let (base, adj) = scorer.weight(comparisons, c, level(o), rows, &set);
                base + adj
            },
        ))));
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}
