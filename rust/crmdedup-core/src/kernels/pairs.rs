//! Scoring given candidate pairs with a fitted model: no blocking, no fitting, no threshold.

use arrow_array::RecordBatch;
use rayon::prelude::*;

use crate::block::{Candidates, pack, parse_rules, rule_determines, unpack};
use crate::cluster::pair_rows;
use crate::compare;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::ids::{IdIndex, Ids};
use crate::model::Model;
use crate::output::pairs_in_order;
use crate::progress::Progress;
use crate::score::{Matched, Scorer};
use crate::settings::Settings;
use crate::tf::TfTables;

/// Score the pairs of `pairs` (ids in columns `left` and `right`) between records of `tables`
/// (each a batch and its ids) with `model`: every pair, in the order given, as a run's pairs
/// output (`<id>_l`, `<id>_r`, `match_weight`, `match_probability`, `gamma_<c>`, `weight_<c>`),
/// the left id from `left` and the right id from `right`.
///
/// With one table, both ids name its records (deduplication). With two (linkage), `left`
/// names records of the first table and `right` records of the second, and each table is
/// normalised as a linkage run normalises it (dates read in the order its own values settle).
///
/// A pair's weight is the one [`crate::pipeline::run`] gives it over the same records with the
/// same model: the same normalisers, grading, rules blocking it (every rule under which both
/// records have the same key) and scorer. Term-frequency adjustments count values in
/// `tf_tables` when given, else in `tables`, as a run does.
///
/// # Errors
/// Invalid settings, a model or tables that do not fit them, missing or mistyped columns,
/// [`Error::UnknownId`] or [`Error::InvalidPair`] for a pair naming no record (or one record
/// twice), cancellation.
#[allow(clippy::too_many_arguments)]
pub fn score_pairs(
    tables: &[(&RecordBatch, Ids)],
    pairs: &RecordBatch,
    (left, right): (&str, &str),
    settings: &Settings,
    model: &Model,
    tf_tables: Option<&TfTables>,
    progress: &dyn Progress,
) -> Result<RecordBatch> {
    settings.validate()?;
    model.check_fits(settings)?;
    if let Some(t) = tf_tables {
        t.check_fits(settings)?;
    }
    let Given {
        rows: given,
        dataset,
        exprs,
        cands,
    } = given_pairs(tables, pairs, (left, right), settings, progress)?;
    let comparisons = dataset.comparisons(settings);
    let (graded, _) = compare::grade(&comparisons, &cands, dataset.n, progress)?;
    let determines = rule_determines(settings, &exprs);
    let scorer = Scorer::new(model, &comparisons, &determines, tf_tables);
    let n_comp = comparisons.len();
    let weights: Vec<f64> = cands
        .pairs
        .par_iter()
        .enumerate()
        .with_min_len(4096)
        .map(|(i, &p)| {
            let g = &graded.gammas[i * n_comp..(i + 1) * n_comp];
            let (a, b) = unpack(p);
            let rows = (a as usize, b as usize);
            scorer.pair_weight(&comparisons, g, graded.masks[i], rows).0
        })
        .collect();
    let total = weights.len() as u64;
    progress.update("score", total, total)?;
    let matched = Matched {
        kept: (0..given.len()).collect(),
        weights,
    };
    let order: Vec<(u32, u32, usize)> = given
        .iter()
        .enumerate()
        .map(|(k, &(a, b))| (a, b, k))
        .collect();
    pairs_in_order(&dataset, &comparisons, &scorer, &graded, &matched, &order)
}

/// Given pairs over their records, ready to grade.
pub(super) struct Given {
    /// The pairs as rows of `dataset`, in the order given.
    pub rows: Vec<(u32, u32)>,
    /// The records, normalised as a run normalises them.
    pub dataset: Dataset,
    /// The blocking rules, parsed.
    pub exprs: Vec<Vec<crate::block::KeyExpr>>,
    /// The pairs as candidates (lower row first, as blocking hands them over) with every
    /// row's key under every rule, so grading gives each pair the rules that block it.
    pub cands: Candidates,
}

/// The pairs of `pairs` (ids in columns `left` and `right`) between records of `tables`: one
/// table, or two for linkage (`left` ids in the first, `right` ids in the second).
///
/// # Errors
/// Missing or mistyped columns, [`Error::UnknownId`] or [`Error::InvalidPair`] for a pair
/// naming no record (or one record twice), cancellation, [`Error::Settings`] for other than
/// one or two tables.
pub(super) fn given_pairs(
    tables: &[(&RecordBatch, Ids)],
    pairs: &RecordBatch,
    (left, right): (&str, &str),
    settings: &Settings,
    progress: &dyn Progress,
) -> Result<Given> {
    let given = match tables {
        [(_, ids)] => {
            let index = IdIndex::new(ids)?;
            let given = pair_rows((&index, &index), pairs, left, right)?;
            if let Some(i) = given.iter().position(|(a, b)| a == b) {
                return Err(Error::InvalidPair {
                    column: right.to_owned(),
                    row: i + 1,
                    message: format!(
                        "the pair names record {:?} twice",
                        crate::cluster::id_text(ids, given[i].0 as usize)
                    ),
                });
            }
            given
        }
        [(_, ids_l), (_, ids_r)] => {
            let (index_l, index_r) = (IdIndex::new(ids_l)?, IdIndex::new(ids_r)?);
            // Right rows follow the left ones, as the tables are stacked.
            let cut = ids_l.len() as u32;
            pair_rows((&index_l, &index_r), pairs, left, right)?
                .into_iter()
                .map(|(a, b)| (a, b + cut))
                .collect()
        }
        _ => {
            return Err(Error::settings(
                "tables",
                format!("one table or two (linkage), got {}", tables.len()),
            ));
        }
    };
    let dataset = Dataset::prepare(tables, settings, progress)?;
    let exprs = parse_rules(settings)?;
    let cands = Candidates {
        pairs: given
            .iter()
            .map(|&(a, b)| pack(a.min(b), a.max(b)))
            .collect(),
        row_keys: dataset.row_keys(settings, &exprs),
        ..Candidates::default()
    };
    Ok(Given {
        rows: given,
        dataset,
        exprs,
        cands,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Decisions;
    use crate::progress::NoProgress;
    use crate::settings::tests::sample;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Float64Type;
    use arrow_array::{ArrayRef, StringArray};
    use std::sync::Arc;

    fn strings(v: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    fn contacts() -> RecordBatch {
        RecordBatch::try_from_iter(vec![
            ("id", strings(&["a1", "a2", "a3", "b1", "b2", "c1", "d1"])),
            (
                "first_name",
                strings(&["Jean", "JEAN", "Jean", "Marie", "Marie", "Paul", "Luc"]),
            ),
            (
                "last_name",
                strings(&[
                    "Lefèvre", "LEFEVRE", "Lefevre", "Dupont", "Dupond", "Martin", "Martin",
                ]),
            ),
            (
                "email",
                strings(&[
                    "j@o.fr", "J@o.fr ", "x@y.fr", "m@f.fr", "m@f.fr", "p@x.fr", "l@y.fr",
                ]),
            ),
        ])
        .unwrap()
    }

    #[test]
    fn rescoring_a_runs_pairs_gives_its_weights_bit_for_bit() {
        let batch = contacts();
        let ids = Ids::from_array("id", batch.column(0).clone()).unwrap();
        let mut settings = sample();
        settings.threshold = 1e-9;
        let run = crate::pipeline::run(
            &[(&batch, ids.clone())],
            &settings,
            None,
            None,
            &Decisions::default(),
            &NoProgress,
        )
        .unwrap();
        let model = run.session.model.clone();
        assert!(run.pairs.num_rows() >= 3);
        let out = score_pairs(
            &[(&batch, ids.clone())],
            &run.pairs,
            ("id_l", "id_r"),
            &settings,
            &model,
            None,
            &NoProgress,
        )
        .unwrap();
        assert_eq!(out.schema(), run.pairs.schema());
        for c in 0..out.num_columns() {
            assert_eq!(
                out.column(c).as_ref(),
                run.pairs.column(c).as_ref(),
                "column {c}"
            );
        }
        let w = out.column(2).as_primitive::<Float64Type>();
        assert!(w.values().iter().all(|w| w.is_finite()));
    }

    #[test]
    fn rescoring_a_links_pairs_gives_its_weights_bit_for_bit() {
        // Two tables whose ids overlap: a right id names a right record only.
        let batch = contacts();
        let (left, right) = (batch.slice(0, 4), batch.slice(3, 4));
        let ids_of = |b: &RecordBatch| Ids::from_array("id", b.column(0).clone()).unwrap();
        let tables = [(&left, ids_of(&left)), (&right, ids_of(&right))];
        let mut settings = sample();
        settings.threshold = 1e-9;
        let run = crate::pipeline::run(
            &tables,
            &settings,
            None,
            None,
            &Decisions::default(),
            &NoProgress,
        )
        .unwrap();
        assert!(run.pairs.num_rows() >= 2, "{:?}", run.pairs);
        let out = score_pairs(
            &tables,
            &run.pairs,
            ("id_l", "id_r"),
            &settings,
            &run.session.model,
            None,
            &NoProgress,
        )
        .unwrap();
        assert_eq!(out, run.pairs);
        // `b1` is in both tables: as a right id it names the right table's record.
        let pairs = RecordBatch::try_from_iter(vec![
            ("id_l", strings(&["b1", "a1"])),
            ("id_r", strings(&["b1", "d1"])),
        ])
        .unwrap();
        let out = score_pairs(
            &tables,
            &pairs,
            ("id_l", "id_r"),
            &settings,
            &run.session.model,
            None,
            &NoProgress,
        )
        .unwrap();
        assert_eq!(out.num_rows(), 2);
        let e = score_pairs(
            &tables,
            &RecordBatch::try_from_iter(vec![
                ("id_l", strings(&["d1"])),
                ("id_r", strings(&["a1"])),
            ])
            .unwrap(),
            ("id_l", "id_r"),
            &settings,
            &run.session.model,
            None,
            &NoProgress,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("\"d1\"") && e.contains("`id_l`"), "{e}");
    }

    #[test]
    fn pairs_naming_unknown_or_repeated_records_are_refused() {
        let batch = contacts();
        let ids = Ids::from_array("id", batch.column(0).clone()).unwrap();
        let settings = sample();
        let model = Model::defaults(&settings);
        let score = |l: &[&str], r: &[&str]| {
            let pairs =
                RecordBatch::try_from_iter(vec![("id_l", strings(l)), ("id_r", strings(r))])
                    .unwrap();
            score_pairs(
                &[(&batch, ids.clone())],
                &pairs,
                ("id_l", "id_r"),
                &settings,
                &model,
                None,
                &NoProgress,
            )
        };
        let e = score(&["a1", "zz"], &["a2", "a1"]).unwrap_err().to_string();
        assert!(
            e.contains("\"zz\"") && e.contains("`id_l`") && e.contains("row 2"),
            "{e}"
        );
        let e = score(&["a1"], &["a1"]).unwrap_err().to_string();
        assert!(e.contains("twice") && e.contains("a1"), "{e}");
        let ok = score(&["a2"], &["a1"]).unwrap();
        // The pair keeps the orientation it was given.
        assert_eq!(ok.column(0).as_string::<i32>().value(0), "a2");
        assert_eq!(ok.column(1).as_string::<i32>().value(0), "a1");
    }
}
