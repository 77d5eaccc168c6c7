//! The end-to-end run: prepare → block → grade → fit → score → cluster → output, one call each.

use std::time::Instant;

use arrow_array::RecordBatch;

use crate::block::{self, Candidates, KeyExpr, unpack};
use crate::cluster::{self, Constraints, Decisions, Edge};
use crate::compare::{self, Comparison};
use crate::dataset::Dataset;
use crate::error::Result;
use crate::explain::Session;
use crate::ids::{IdIndex, Ids};
use crate::model::{self, Model, Patterns};
use crate::output::{self, Report};
use crate::progress::Progress;
use crate::score::{self, Matched, Scorer, probability};
use crate::settings::Settings;
use crate::tf::TfTables;

/// Everything a run returns.
#[derive(Debug)]
pub struct RunOutput {
    /// One row per input record: id, `cluster_id`, `cluster_size` (plus `source_dataset` for linkage).
    pub clusters: RecordBatch,
    /// One row per pair at or above the threshold.
    pub pairs: RecordBatch,
    /// What happened.
    pub report: Report,
    /// The session, for explanations.
    pub session: Session,
}

fn timed<T>(
    timings: &mut Vec<(String, u64)>,
    stage: &str,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let t = Instant::now();
    let out = f()?;
    timings.push((stage.to_owned(), t.elapsed().as_millis() as u64));
    Ok(out)
}

/// Deduplicate one table (`tables.len() == 1`) or link two, honouring steward `decisions`
/// (`Decisions::default()` for none).
///
/// With `model = None`, u is estimated from random pairs and m by EM (see [`crate::model`]).
/// With `tf_tables`, term-frequency adjustments count values in those tables (see
/// [`crate::tf`]) instead of in the data; nothing else depends on them.
/// For linkage, a decision's `id_l` names a record of the left table and its `id_r` one of
/// the right table; decisions naming no record are ignored.
///
/// # Errors
/// Bad columns or ids, a model that does not fit the settings, conflicting decisions, or
/// cancellation.
pub fn run(
    tables: &[(&RecordBatch, Ids)],
    settings: &Settings,
    model: Option<Model>,
    tf_tables: Option<&TfTables>,
    decisions: &Decisions,
    progress: &dyn Progress,
) -> Result<RunOutput> {
    settings.validate()?;
    if let Some(m) = &model {
        m.check_fits(settings)?;
    }
    if let Some(t) = tf_tables {
        t.check_fits(settings)?;
    }
    let mut timings = Vec::new();
    let dataset = timed(&mut timings, "normalise", || {
        Dataset::prepare(tables, settings, progress)
    })?;
    let constraints = constraints(&dataset, decisions)?;
    let comparisons = dataset.comparisons(settings);
    let exprs = block::parse_rules(settings)?;
    let determines = block::rule_determines(settings, &exprs);
    let cands = timed(&mut timings, "block", || {
        candidates(&dataset, settings, &exprs, progress)
    })?;
    let (graded, patterns) = timed(&mut timings, "compare", || {
        compare::grade(&comparisons, &cands, dataset.n, progress)
    })?;
    let fitted = model.is_none();
    let model = match model {
        Some(m) => m,
        None => timed(&mut timings, "fit", || {
            let fit = Fit {
                dataset: &dataset,
                comparisons: &comparisons,
                settings,
                exprs: &exprs,
                determines: &determines,
            };
            fit.model(&patterns, progress)
        })?,
    };
    let scorer = Scorer::new(&model, &comparisons, &determines, tf_tables);
    let matched = timed(&mut timings, "score", || {
        let matched =
            score::matched_pairs(&scorer, &comparisons, &cands, &graded, settings.threshold);
        let total = cands.pairs.len() as u64;
        progress.update("score", total, total)?;
        Ok(matched)
    })?;
    let reps = timed(&mut timings, "cluster", || {
        clusters(&dataset, &cands, &matched, settings, &constraints, progress)
    })?;
    let mut report = report(&dataset, &cands, &matched);
    report.fitted = fitted && !model.fit.iterations.is_empty();
    let clusters = output::cluster_batch(&dataset, &reps, settings.max_cluster_size, &mut report)?;
    let pairs = output::pair_batch(&dataset, &comparisons, &scorer, &cands, &graded, &matched)?;
    report.timings_ms = timings;
    drop((scorer, comparisons));
    Ok(RunOutput {
        clusters,
        pairs,
        report,
        session: Session {
            settings: settings.clone(),
            dataset,
            model,
            row_keys: cands.row_keys,
            tf_tables: tf_tables.cloned(),
        },
    })
}

/// The decisions as row pairs over the stacked rows of `dataset`.
fn constraints(dataset: &Dataset, decisions: &Decisions) -> Result<Constraints> {
    if decisions.must_link.is_none() && decisions.cannot_link.is_none() {
        return Ok(Constraints::default());
    }
    let left = IdIndex::new(&dataset.ids[0])?;
    match (dataset.split, dataset.ids.get(1)) {
        (Some(cut), Some(right)) => {
            let right = IdIndex::new(right)?;
            decisions.constraints((&left, 0), (&right, cut as u32))
        }
        _ => decisions.constraints((&left, 0), (&left, 0)),
    }
}

/// Candidate pairs of the blocking rules (`exprs`, parsed from the settings).
fn candidates(
    dataset: &Dataset,
    settings: &Settings,
    exprs: &[Vec<KeyExpr>],
    progress: &dyn Progress,
) -> Result<Candidates> {
    let parts = dataset.key_parts(settings, exprs);
    let orders = dataset.row_orders(settings, exprs);
    let n_rules = exprs.len() as u64;
    let input = block::BlockingInput {
        exprs,
        parts: &parts,
        orders: &orders,
        rank: &dataset.rank,
        split: dataset.split,
    };
    let limits = block::Limits {
        max_block_size: settings.max_block_size,
        pairs_per_record: settings.pairs_per_record,
    };
    block::candidates(&input, limits, |r| {
        progress.update("block", r as u64 + 1, n_rules)
    })
}

/// What fitting a model reads.
struct Fit<'a> {
    dataset: &'a Dataset,
    comparisons: &'a [Comparison<'a>],
    settings: &'a Settings,
    exprs: &'a [Vec<KeyExpr>],
    determines: &'a [u64],
}

impl Fit<'_> {
    /// u from random pairs, then m and the priors by EM over the candidates' `patterns`; the
    /// documented defaults when there are too few records to learn from.
    fn model(&self, patterns: &Patterns, progress: &dyn Progress) -> Result<Model> {
        let (dataset, settings) = (self.dataset, self.settings);
        let by_rank = rank_order(&dataset.rank);
        let sample = model::sample_pairs(dataset.n, dataset.split, &by_rank, &settings.em);
        let random = compare::pattern_histogram(self.comparisons, &sample, dataset.n)?;
        let blocked = block::training_masks(settings, self.exprs);
        let reads = block::rule_reads(settings, self.exprs);
        let histograms = model::Histograms {
            candidates: patterns,
            random: &random,
        };
        let m = model::fit_from_histograms(
            settings,
            &blocked,
            model::RuleFields {
                determines: self.determines,
                reads: &reads,
            },
            histograms,
            dataset.n,
            dataset.split,
        );
        progress.update("fit", 1, 1)?;
        Ok(m)
    }
}

/// `by_rank[r]`: the row of rank `r`.
fn rank_order(rank: &[u32]) -> Vec<u32> {
    let mut by_rank = vec![0u32; rank.len()];
    for (row, &r) in rank.iter().enumerate() {
        by_rank[r as usize] = row as u32;
    }
    by_rank
}

/// Per row, the row naming its cluster: the matched pairs clustered with the decisions.
fn clusters(
    dataset: &Dataset,
    cands: &Candidates,
    matched: &Matched,
    settings: &Settings,
    constraints: &Constraints,
    progress: &dyn Progress,
) -> Result<Vec<u32>> {
    let edges: Vec<Edge> = matched
        .kept
        .iter()
        .zip(&matched.weights)
        .map(|(&i, &w)| {
            let (a, b) = unpack(cands.pairs[i]);
            Edge {
                a,
                b,
                p: probability(w),
            }
        })
        .collect();
    let reps = cluster::cluster_with(
        dataset.n,
        &edges,
        &dataset.rank,
        settings.clustering,
        settings.guard_probability,
        constraints,
    )
    .map_err(|c| cluster::conflict_error(&c, &|row| dataset.id_text(row as usize)))?;
    progress.update("cluster", 1, 1)?;
    Ok(reps)
}

/// The report's counts of rows, candidates and matches.
fn report(dataset: &Dataset, cands: &Candidates, matched: &Matched) -> Report {
    Report {
        rows: dataset.n,
        rows_left: dataset.split,
        candidate_pairs: cands.pairs.len() as u64,
        pairs_per_rule: cands.pairs_per_rule.clone(),
        skipped_blocks_total: cands.skipped.len(),
        skipped_rows_total: cands.skipped.iter().map(|b| b.size).sum(),
        skipped_blocks: cands.skipped.iter().take(20).cloned().collect(),
        windowed_blocks: cands.windowed_blocks,
        matched_pairs: matched.kept.len() as u64,
        ..Report::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use crate::settings::tests::sample;
    use arrow_array::{Array, ArrayRef, Float64Array, StringArray, UInt32Array};
    use std::sync::Arc;

    type Row<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);

    fn table(rows: &[Row<'_>]) -> RecordBatch {
        let strings = |v: Vec<Option<&str>>| -> ArrayRef { Arc::new(StringArray::from(v)) };
        RecordBatch::try_from_iter(vec![
            ("id", strings(rows.iter().map(|r| Some(r.0)).collect())),
            (
                "first_name",
                strings(rows.iter().map(|r| Some(r.1)).collect()),
            ),
            (
                "last_name",
                strings(rows.iter().map(|r| Some(r.2)).collect()),
            ),
            ("email", strings(rows.iter().map(|r| r.3).collect())),
        ])
        .unwrap()
    }

    fn dedupe(batch: &RecordBatch, settings: &Settings) -> RunOutput {
        let ids = Ids::from_array("id", batch.column(0).clone()).unwrap();
        run(
            &[(batch, ids)],
            settings,
            None,
            None,
            &Decisions::default(),
            &NoProgress,
        )
        .unwrap()
    }

    fn contacts() -> RecordBatch {
        table(&[
            ("a1", "Jean", "Lefèvre", Some("jean.lefevre@orange.fr")),
            ("a2", "JEAN", "LEFEVRE", Some("Jean.Lefevre@Orange.fr ")),
            ("a3", "Jean", "Lefevre", None),
            ("b1", "Marie", "Dupont", Some("marie.dupont@free.fr")),
            ("b2", "Marie", "Dupond", Some("marie.dupont@free.fr")),
            ("c1", "Paul", "Martin", Some("paul@x.fr")),
            ("d1", "Luc", "Martin", Some("luc@y.fr")),
        ])
    }

    #[test]
    fn finds_obvious_duplicates() {
        let out = dedupe(&contacts(), &sample());
        let ids = out
            .clusters
            .column(1)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        let got: Vec<&str> = (0..ids.len()).map(|i| ids.value(i)).collect();
        assert_eq!(got, vec!["a1", "a1", "a1", "b1", "b1", "c1", "d1"]);
        assert_eq!(out.report.clusters, 4);
        assert_eq!(out.report.duplicate_records, 3);
        assert!(out.pairs.num_rows() >= 3);
        assert_eq!(out.pairs.schema().field(0).name(), "id_l");
        assert!(out.pairs.schema().column_with_name("gamma_email").is_some());
    }

    #[test]
    fn explanation_sums_to_the_pair_weight() {
        let out = dedupe(&contacts(), &sample());
        let rows = out.session.explain(0, 1).unwrap();
        let total: f64 = rows.iter().map(|r| r.weight + r.tf_adjustment).sum();
        assert!((rows.last().unwrap().cumulative_weight - total).abs() < 1e-9);
        let w = out
            .pairs
            .column(2)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap()
            .value(0);
        assert!((w - total).abs() < 1e-9, "{w} vs {total}");
    }

    #[test]
    fn giant_blocks_are_bounded_and_reported() {
        let rows: Vec<(String, String)> = (0..5000)
            .map(|i| (format!("r{i}"), format!("p{i}")))
            .collect();
        let data: Vec<(&str, &str, &str, Option<&str>)> = rows
            .iter()
            .map(|(id, f)| (id.as_str(), f.as_str(), "martin", None))
            .collect();
        let mut settings = sample();
        settings.blocking_rules = vec![crate::settings::BlockingRule {
            keys: vec!["last_name".into()],
        }];
        settings.max_block_size = 100;
        let out = dedupe(&table(&data), &settings);
        assert_eq!(out.report.candidate_pairs, 0);
        assert_eq!(out.report.skipped_blocks[0].size, 5000);
        assert_eq!(out.report.skipped_blocks[0].key, "martin");
    }

    #[test]
    fn same_clusters_whatever_the_row_order() {
        let batch = contacts();
        let out = dedupe(&batch, &sample());
        let rev = UInt32Array::from_iter_values((0..batch.num_rows() as u32).rev());
        let cols: Vec<ArrayRef> = batch
            .columns()
            .iter()
            .map(|c| arrow_select::take::take(c, &rev, None).unwrap())
            .collect();
        let reversed = RecordBatch::try_new(batch.schema(), cols).unwrap();
        let out2 = dedupe(&reversed, &sample());
        let map = |o: &RunOutput| {
            let id = o
                .clusters
                .column(0)
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap();
            let cl = o
                .clusters
                .column(1)
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap();
            let mut v: Vec<(String, String)> = (0..id.len())
                .map(|i| (id.value(i).into(), cl.value(i).into()))
                .collect();
            v.sort();
            v
        };
        assert_eq!(map(&out), map(&out2));
        assert_eq!(out.session.model, out2.session.model);
    }

    #[test]
    fn a_run_honours_decisions() {
        let batch = contacts();
        let plain = dedupe(&batch, &sample());
        let ids = |o: &RunOutput, col: usize| -> Vec<String> {
            let a = o
                .clusters
                .column(col)
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap();
            (0..a.len()).map(|i| a.value(i).to_owned()).collect()
        };
        assert_eq!(ids(&plain, 1), ["a1", "a1", "a1", "b1", "b1", "c1", "d1"]);
        let text = |v: &[&str]| -> ArrayRef { Arc::new(StringArray::from(v.to_vec())) };
        let decisions = Decisions {
            must_link: Some(crate::cluster::IdPairs {
                left: text(&["d1"]),
                right: text(&["c1"]),
            }),
            cannot_link: Some(crate::cluster::IdPairs {
                left: text(&["a3", "x9"]),
                right: text(&["a1", "a2"]),
            }),
        };
        let id_array = Ids::from_array("id", batch.column(0).clone()).unwrap();
        let out = run(
            &[(&batch, id_array)],
            &sample(),
            None,
            None,
            &decisions,
            &NoProgress,
        )
        .unwrap();
        let got = ids(&out, 1);
        assert_ne!(got[0], got[2], "a1 and a3 are kept apart");
        assert_eq!(&got[5..], ["c1", "c1"]);
        assert_eq!(&got[3..5], ["b1", "b1"]);
    }
}
