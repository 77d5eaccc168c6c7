//! Fitting a model from pattern histograms: the histogram of any set of pairs (one partition,
//! one bucket), the random pairs u is estimated from, and the fit from histograms added up.
//!
//! A run fits from two histograms: the candidate pairs' (levels and the rules that block each
//! pair) and the random pairs' (levels). Both are counts, so histograms computed over disjoint
//! parts of the pairs and added up are the histograms of all the pairs, and
//! [`fit_from_histograms`] gives the model [`crate::pipeline::run`] fits over the same records.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int8Type, Int64Type};
use arrow_array::{
    Array, ArrayRef, Int8Array, PrimitiveArray, RecordBatch, UInt32Array, UInt64Array,
};
use arrow_schema::DataType;

use super::pairs::given_pairs;
use crate::block::{parse_rules, rule_determines, rule_reads, training_masks};
use crate::compare;
use crate::error::{Error, Result};
use crate::ids::Ids;
use crate::model::{self, Histograms, Model, Patterns};
use crate::progress::Progress;
use crate::settings::Settings;

/// Column of the rules that block the pairs of a pattern (bit `r` = rule `r`).
pub const RULE_MASK: &str = "rule_mask";
/// Column of the number of pairs of a pattern.
pub const PAIRS: &str = "pairs";

/// The comparison patterns of the pairs of `pairs` (ids in columns `left` and `right`) between
/// records of `tables` (one, or two for linkage as in [`super::score_pairs`]): one row per distinct pattern, `gamma_<c>` per comparison (Int8, -1 for
/// null), `rule_mask` (`UInt32`: every rule under which both records have the same key, as a
/// run's grading says) and `pairs` (`UInt64`), sorted by levels then mask.
///
/// Each pair is graded as [`super::score_pairs`] grades it (the same normalisers, levels and
/// rules), so the histograms of disjoint sets of pairs add up to the histogram of their union.
///
/// # Errors
/// As [`super::score_pairs`]: invalid settings, missing or mistyped columns, a pair naming no
/// record or one record twice, cancellation.
pub fn pattern_histogram(
    tables: &[(&RecordBatch, Ids)],
    pairs: &RecordBatch,
    columns: (&str, &str),
    settings: &Settings,
    progress: &dyn Progress,
) -> Result<RecordBatch> {
    settings.validate()?;
    let given = given_pairs(tables, pairs, columns, settings, progress)?;
    let comparisons = given.dataset.comparisons(settings);
    let (_, patterns) = compare::grade(&comparisons, &given.cands, given.dataset.n, progress)?;
    histogram_batch(&patterns, settings)
}

/// A pattern histogram as a table (see [`pattern_histogram`]).
///
/// # Errors
/// Arrow errors only.
pub fn histogram_batch(patterns: &Patterns, settings: &Settings) -> Result<RecordBatch> {
    let mut rows: Vec<(&[i8], u32, u64)> = patterns
        .iter()
        .map(|((g, mask), n)| (g.as_slice(), *mask, *n))
        .collect();
    rows.sort_unstable();
    let mut columns: Vec<(String, ArrayRef)> = settings
        .comparisons
        .iter()
        .enumerate()
        .map(|(c, spec)| {
            let levels: Int8Array = rows.iter().map(|r| Some(r.0[c])).collect();
            (format!("gamma_{}", spec.name), Arc::new(levels) as ArrayRef)
        })
        .collect();
    let masks: UInt32Array = rows.iter().map(|r| Some(r.1)).collect();
    let counts: UInt64Array = rows.iter().map(|r| Some(r.2)).collect();
    columns.push((RULE_MASK.to_owned(), Arc::new(masks)));
    columns.push((PAIRS.to_owned(), Arc::new(counts)));
    Ok(RecordBatch::try_from_iter(columns)?)
}

/// The histogram held by `batch` (see [`pattern_histogram`]); rows with the same pattern are
/// added up, so concatenated per-partition histograms can be given as they are.
///
/// # Errors
/// [`Error::MissingColumn`], [`Error::WrongType`] (integer columns of other widths are
/// accepted), [`Error::InvalidValue`] for nulls, negative counts, a level the comparison does
/// not have, or a rule the settings do not have, naming the table, column and row.
pub fn histogram_of_batch(
    batch: &RecordBatch,
    settings: &Settings,
    table: &str,
) -> Result<Patterns> {
    let column = |name: &str, to: &DataType| -> Result<ArrayRef> {
        let array = crate::column::column(batch, name)?;
        let cast_ok = array.data_type().is_integer();
        if !cast_ok {
            return Err(Error::WrongType {
                column: name.to_owned(),
                found: array.data_type().to_string(),
                expected: format!("integers ({to})"),
            });
        }
        Ok(arrow_cast::cast(array, to)?)
    };
    let invalid = |column: &str, row: usize, message: String| Error::InvalidValue {
        table: table.to_owned(),
        column: column.to_owned(),
        row: row + 1,
        message,
    };
    let n_rules = settings.blocking_rules.len();
    let masks = column(RULE_MASK, &DataType::Int64)?;
    let counts = column(PAIRS, &DataType::Int64)?;
    let mut levels = Vec::with_capacity(settings.comparisons.len());
    for spec in &settings.comparisons {
        let name = format!("gamma_{}", spec.name);
        let n_levels = compare::level_labels(spec).len() as i64;
        let array = column(&name, &DataType::Int64)?;
        let values = array.as_primitive::<Int64Type>();
        for row in 0..values.len() {
            let l = values.is_valid(row).then(|| values.value(row));
            if !matches!(l, Some(l) if (-1..n_levels).contains(&l)) {
                return Err(invalid(
                    &name,
                    row,
                    format!("level {l:?}: expected -1 (null) to {}", n_levels - 1),
                ));
            }
        }
        levels.push(arrow_cast::cast(&array, &DataType::Int8)?);
    }
    let masks = masks.as_primitive::<Int64Type>();
    let counts = counts.as_primitive::<Int64Type>();
    let levels: Vec<&PrimitiveArray<Int8Type>> = levels
        .iter()
        .map(AsArray::as_primitive::<Int8Type>)
        .collect();
    let mut patterns = Patterns::default();
    for row in 0..batch.num_rows() {
        let mask = masks.is_valid(row).then(|| masks.value(row));
        let mask = match mask {
            Some(m) if (0..1i64 << n_rules.min(32)).contains(&m) => m as u32,
            _ => {
                return Err(invalid(
                    RULE_MASK,
                    row,
                    format!("{mask:?}: expected a mask of the {n_rules} blocking rules"),
                ));
            }
        };
        let count = counts.is_valid(row).then(|| counts.value(row));
        let Some(count) = count.filter(|c| *c >= 0) else {
            return Err(invalid(
                PAIRS,
                row,
                format!("{count:?}: expected a count >= 0"),
            ));
        };
        let gamma: Vec<i8> = levels.iter().map(|a| a.value(row)).collect();
        *patterns.entry((gamma, mask)).or_default() += count as u64;
    }
    Ok(patterns)
}

/// The random record pairs a run over `n` records (`split = Some(n_left)` when linking, left
/// ranks first) estimates u from, as pairs of id ranks (`rank_l`, `rank_r`, `UInt32`): rank `r`
/// is the record with the `r`-th smallest id (integers by value, strings by UTF-8 bytes; for
/// linkage, right ranks are shifted by `n_left`). Seeded by `settings.em.seed`.
///
/// # Errors
/// [`Error::TooManyRows`] past 32-bit ranks, [`Error::Settings`] for a split larger than `n`.
pub fn random_pairs(n: usize, split: Option<usize>, settings: &Settings) -> Result<RecordBatch> {
    if n > crate::column::MAX_ROWS {
        return Err(Error::TooManyRows {
            rows: n,
            max: crate::column::MAX_ROWS,
        });
    }
    if let Some(cut) = split.filter(|&c| c > n) {
        return Err(Error::settings(
            "n_left",
            format!("{cut} left records of {n} in all"),
        ));
    }
    let identity: Vec<u32> = (0..n as u32).collect();
    let pairs = model::sample_pairs(n, split, &identity, &settings.em);
    let left: UInt32Array = pairs.iter().map(|p| Some(p.0 as u32)).collect();
    let right: UInt32Array = pairs.iter().map(|p| Some(p.1 as u32)).collect();
    Ok(RecordBatch::try_from_iter(vec![
        ("rank_l", Arc::new(left) as ArrayRef),
        ("rank_r", Arc::new(right) as ArrayRef),
    ])?)
}

/// The model a run fits over `n` records (`split = Some(n_left)` when linking) from the
/// histograms of its candidate pairs and of its [`random_pairs`], each given as a table of
/// [`pattern_histogram`]'s columns (rows of one pattern added up).
///
/// # Errors
/// Invalid settings or histogram tables (see [`histogram_of_batch`]).
pub fn fit_from_histograms(
    candidates: &RecordBatch,
    random: &RecordBatch,
    settings: &Settings,
    n: usize,
    split: Option<usize>,
) -> Result<Model> {
    settings.validate()?;
    let candidates = histogram_of_batch(candidates, settings, "candidate histogram")?;
    let random = histogram_of_batch(random, settings, "random histogram")?;
    let exprs = parse_rules(settings)?;
    let blocked = training_masks(settings, &exprs);
    let determines = rule_determines(settings, &exprs);
    let reads = rule_reads(settings, &exprs);
    let histograms = Histograms {
        candidates: &candidates,
        random: &random,
    };
    Ok(model::fit_from_histograms(
        settings,
        &blocked,
        model::RuleFields {
            determines: &determines,
            reads: &reads,
        },
        histograms,
        n,
        split,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use crate::settings::tests::sample;
    use arrow_array::StringArray;

    fn strings(v: Vec<String>) -> ArrayRef {
        Arc::new(StringArray::from(v))
    }

    /// 200 contacts over a few names and emails, so that levels and rules vary.
    fn contacts() -> RecordBatch {
        let first = ["Jean", "Jeanne", "Paul", "Marie", "Mari"];
        let last = ["Martin", "Martins", "Dupont", "Durand"];
        let n = 200;
        RecordBatch::try_from_iter(vec![
            ("id", strings((0..n).map(|i| format!("r{i:03}")).collect())),
            (
                "first_name",
                strings((0..n).map(|i| first[i % 5].to_owned()).collect()),
            ),
            (
                "last_name",
                strings((0..n).map(|i| last[i % 4].to_owned()).collect()),
            ),
            (
                "email",
                strings((0..n).map(|i| format!("x{}@o.fr", i % 7)).collect()),
            ),
        ])
        .unwrap()
    }

    fn pairs(rows: &[(usize, usize)]) -> RecordBatch {
        let id = |i: usize| format!("r{i:03}");
        RecordBatch::try_from_iter(vec![
            ("id_l", strings(rows.iter().map(|p| id(p.0)).collect())),
            ("id_r", strings(rows.iter().map(|p| id(p.1)).collect())),
        ])
        .unwrap()
    }

    #[test]
    fn histograms_of_parts_add_up_to_the_whole() {
        let batch = contacts();
        let ids = Ids::from_array("id", batch.column(0).clone()).unwrap();
        let settings = sample();
        let all: Vec<(usize, usize)> = (0..150).map(|i| (i, (i * 7 + 3) % 200)).collect();
        let hist = |rows: &[(usize, usize)]| {
            let b = pattern_histogram(
                &[(&batch, ids.clone())],
                &pairs(rows),
                ("id_l", "id_r"),
                &settings,
                &NoProgress,
            )
            .unwrap();
            histogram_of_batch(&b, &settings, "test").unwrap()
        };
        let whole = hist(&all);
        assert!(whole.len() > 3, "{whole:?}");
        let mut summed = hist(&all[..60]);
        for (k, v) in hist(&all[60..]) {
            *summed.entry(k).or_default() += v;
        }
        assert_eq!(summed, whole);
        // The table form reads back to the same counts.
        let table = histogram_batch(&whole, &settings).unwrap();
        assert_eq!(
            histogram_of_batch(&table, &settings, "test").unwrap(),
            whole
        );
    }

    #[test]
    fn too_few_random_pairs_give_the_defaults() {
        let settings = sample();
        let random = random_pairs(40, None, &settings).unwrap();
        assert_eq!(random.num_rows(), 40 * 39 / 2);
        let empty = histogram_batch(&Patterns::default(), &settings).unwrap();
        let model = fit_from_histograms(&empty, &empty, &settings, 40, None).unwrap();
        assert_eq!(model.comparisons, Model::defaults(&settings).comparisons);
        assert_eq!(model.fit.u_pairs_sampled, 0);
    }

    #[test]
    fn a_level_out_of_range_is_named() {
        let settings = sample();
        let mut patterns = Patterns::default();
        patterns.insert((vec![9, 0, 0], 1), 5);
        let table = histogram_batch(&patterns, &settings).unwrap();
        let e = histogram_of_batch(&table, &settings, "random histogram")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`gamma_first_name` at row 1 of the random histogram"),
            "{e}"
        );
    }
}
