//! The end-to-end run: normalise, block, compare, fit, score, cluster, and build Arrow outputs.

use std::sync::Arc;
use std::time::Instant;

use arrow_array::{
    ArrayRef, Float64Array, Int8Array, RecordBatch, StringArray, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::blocking::{self, KeyExpr, KeyFn, SkippedBlock, unpack};
use crate::cluster::{self, Edge};
use crate::column::{self, CodedColumn, Ids};
use crate::compare::{Comparison, NULL_LEVEL};
use crate::error::{Error, Result};
use crate::model::{self, Model, Patterns};
use crate::normalize::{self, Normalizer};
use crate::settings::MAX_COMPARISONS;
use crate::settings::Settings;

/// Receives progress and may ask the run to stop.
pub trait Progress: Sync {
    /// `stage` has done `done` of `total` units.
    ///
    /// # Errors
    /// Return [`Error::Cancelled`] (or any error) to stop the run.
    fn update(&self, stage: &str, done: u64, total: u64) -> Result<()>;
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&self, _: &str, _: u64, _: u64) -> Result<()> {
        Ok(())
    }
}

/// Records' worth of weight given to "no adjustment" in term-frequency estimates.
const TF_PSEUDO_RECORDS: f64 = 100.0;

/// Pairs graded per chunk between two progress calls.
const CHUNK: usize = 1 << 20;

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

/// Normalised columns of one or two tables, stacked (left rows first).
#[derive(Debug)]
pub struct Dataset {
    /// Rows in all.
    pub n: usize,
    /// Rows of the left table, for linkage.
    pub split: Option<usize>,
    /// Ids of each table (one for dedupe, two for linkage).
    pub ids: Vec<Ids>,
    /// `rank[row]` over all rows: left ranks, then right ranks shifted by the left size.
    pub rank: Vec<u32>,
    columns: FxHashMap<(String, Normalizer), CodedColumn>,
    normalize: normalize::NormalizeOptions,
}

/// Normaliser a column goes through: the one of the first comparison reading it, else text.
fn normalizer_of(settings: &Settings, column: &str) -> Normalizer {
    settings
        .comparisons
        .iter()
        .find(|c| c.column == column)
        .map_or(Normalizer::Text, |c| c.normalizer)
}

/// Per blocking rule, the comparisons (bit `c`) whose whole normalised value is one of the
/// rule's keys: every pair the rule finds agrees exactly on them.
fn rule_determines(settings: &Settings, exprs: &[Vec<KeyExpr>]) -> Vec<u64> {
    exprs
        .iter()
        .map(|rule| {
            settings
                .comparisons
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    c.normalizer == normalizer_of(settings, &c.column)
                        && rule.iter().any(|e| {
                            e.column == c.column && e.func == KeyFn::Value && e.slice.is_none()
                        })
                })
                .fold(0u64, |acc, (i, _)| acc | (1 << i))
        })
        .collect()
}

/// Per blocking rule, the comparisons EM does not learn from its pairs: those reading a column
/// the rule blocks on (they agree by construction), and, for a rule whose keys all read
/// [`shared`](crate::settings::ComparisonSpec::shared) columns, every comparison. Such a rule
/// (address and postcode, a landline) finds mostly people living or working together: learnt
/// from, it would teach EM that a household is one person, and that a different given name
/// or birth date is weak evidence. When every rule is of that kind, they all train as usual.
fn training_masks(settings: &Settings, exprs: &[Vec<KeyExpr>]) -> Vec<Vec<bool>> {
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
    exprs
        .iter()
        .zip(&household)
        .map(|(rule, &h)| {
            settings
                .comparisons
                .iter()
                .map(|c| (h && !all_household) || rule.iter().any(|e| e.column == c.column))
                .collect()
        })
        .collect()
}

/// The settings' blocking rules, parsed.
fn parse_rules(settings: &Settings) -> Result<Vec<Vec<KeyExpr>>> {
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

impl Dataset {
    /// Normalise every column the settings read, for one table (`tables.len() == 1`) or two.
    ///
    /// # Errors
    /// Missing or mistyped columns, bad ids.
    pub fn prepare(
        tables: &[(&RecordBatch, Ids)],
        settings: &Settings,
        progress: &dyn Progress,
    ) -> Result<Self> {
        let n: usize = tables.iter().map(|(b, _)| b.num_rows()).sum();
        if n > column::MAX_ROWS {
            return Err(Error::TooManyRows {
                rows: n,
                max: column::MAX_ROWS,
            });
        }
        let split = (tables.len() == 2).then(|| tables[0].0.num_rows());
        let mut wanted: Vec<(String, Normalizer)> = Vec::new();
        for c in &settings.comparisons {
            wanted.push((c.column.clone(), c.normalizer));
        }
        for rule in &settings.blocking_rules {
            for key in &rule.keys {
                let expr = KeyExpr::parse(key).map_err(|m| Error::settings("blocking_rules", m))?;
                wanted.push((expr.column.clone(), normalizer_of(settings, &expr.column)));
            }
        }
        let mut seen = std::collections::HashSet::new();
        wanted.retain(|w| seen.insert(w.clone()));
        let opts = normalize::NormalizeOptions {
            default_region: settings.default_region.clone(),
            ..Default::default()
        };
        let mut columns = FxHashMap::default();
        for (i, (name, kind)) in wanted.iter().enumerate() {
            let mut parts = Vec::with_capacity(tables.len());
            let by_region = *kind == Normalizer::Phone && settings.region_column.is_some();
            for (batch, _) in tables {
                let mut text = column::as_strings(name, column::column(batch, name)?)?;
                if let (true, Some(rc)) = (by_region, &settings.region_column) {
                    let regions = column::as_strings(rc, column::column(batch, rc)?)?;
                    text = normalize::with_regions(&text, &regions)?;
                }
                // Dates are parsed per table: two sources may write them in different orders.
                parts.push(if *kind == Normalizer::Date {
                    normalize::date_column(&text, &opts.default_region)?
                } else {
                    text
                });
            }
            let stacked = if parts.len() == 1 {
                parts
                    .pop()
                    .unwrap_or_else(|| arrow_array::StringViewArray::from(Vec::<&str>::new()))
            } else {
                let refs: Vec<&dyn arrow_array::Array> =
                    parts.iter().map(|p| p as &dyn arrow_array::Array).collect();
                let cat = arrow_select::concat::concat(&refs)?;
                arrow_array::cast::AsArray::as_string_view(&cat).clone()
            };
            let coded = if *kind == Normalizer::Date {
                CodedColumn::encode(&stacked, |v| Some(v.to_owned()))
            } else if by_region {
                CodedColumn::encode(&stacked, |v| {
                    let (row_opts, value) = normalize::split_region(v, &opts);
                    normalize::normalize_with(*kind, value, &row_opts)
                })
            } else {
                CodedColumn::encode(&stacked, |v| normalize::normalize_with(*kind, v, &opts))
            };
            columns.insert((name.clone(), *kind), coded);
            progress.update("normalise", i as u64 + 1, wanted.len() as u64)?;
        }
        let mut rank = Vec::with_capacity(n);
        let mut offset = 0u32;
        for (_, ids) in tables {
            rank.extend(ids.rank.iter().map(|r| r + offset));
            offset += ids.len() as u32;
        }
        let ids = tables.iter().map(|(_, ids)| ids.clone()).collect();
        Ok(Self {
            n,
            split,
            ids,
            rank,
            columns,
            normalize: opts,
        })
    }

    fn column(&self, name: &str, kind: Normalizer) -> &CodedColumn {
        // Every (column, normaliser) the settings name was prepared above.
        &self.columns[&(name.to_owned(), kind)]
    }

    /// Comparisons bound to their columns.
    #[must_use]
    pub fn comparisons<'a>(&'a self, settings: &'a Settings) -> Vec<Comparison<'a>> {
        settings
            .comparisons
            .iter()
            .map(|c| Comparison::new(c, self.column(&c.column, c.normalizer)))
            .collect()
    }

    /// Options the columns were normalised with.
    #[must_use]
    pub fn normalize_options(&self) -> &normalize::NormalizeOptions {
        &self.normalize
    }
}

/// Weight of every level, and term-frequency adjustments per value code where asked.
struct Scorer<'m> {
    model: &'m Model,
    weights: Vec<Vec<f64>>,
    /// `tf[c][code]`: added to the exact level's weight for that value.
    tf: Vec<Option<Vec<f64>>>,
    /// Per set of blocking rules with a fitted prior: its prior weight and the comparisons
    /// left out of its pairs' weight (see [`Scorer::prior`]).
    by_mask: FxHashMap<u32, (f64, u64)>,
    /// Cap on the summed positive weight of the shared comparisons (see
    /// [`Model::household_cap`]).
    household_cap: Option<f64>,
}

impl<'m> Scorer<'m> {
    fn new(model: &'m Model, comparisons: &[Comparison<'_>], determines: &[u64]) -> Self {
        let tf = comparisons
            .iter()
            .zip(&model.comparisons)
            .map(|(c, _)| {
                c.spec.term_frequency.then(|| {
                    // How much rarer (or commoner) this value is than the column's average
                    // chance of agreement between two random records (the sum of squared
                    // frequencies). The value's frequency is counted among the *other* records
                    // and shrunk towards that average, so small tables get small adjustments.
                    let total = c.column.non_null.max(1) as f64;
                    let u_exact: f64 = c
                        .column
                        .counts
                        .iter()
                        .map(|&k| (f64::from(k) / total).powi(2))
                        .sum::<f64>()
                        .max(1e-12);
                    let others = c.column.non_null.saturating_sub(1) as f64 + TF_PSEUDO_RECORDS;
                    c.column
                        .counts
                        .iter()
                        .map(|&k| {
                            let tf = (f64::from(k.saturating_sub(1)) + TF_PSEUDO_RECORDS * u_exact)
                                / others;
                            (u_exact / tf).log2()
                        })
                        .collect()
                })
            })
            .collect();
        Self {
            model,
            weights: model
                .comparisons
                .iter()
                .map(model::ComparisonParams::weights)
                .collect(),
            tf,
            by_mask: model
                .rule_priors
                .iter()
                .map(|&(mask, _)| {
                    let skip = model::determined(determines, mask, model.comparisons.len());
                    (mask, (model.prior_weight_for(mask), skip))
                })
                .collect(),
            household_cap: model.household_cap(),
        }
    }

    /// Match weight of a pair graded `gammas`, blocked by the rules in `mask`, and (apart, also
    /// in the total) the household adjustment: agreement on the shared comparisons (surname,
    /// address, landline…) is one fact, so their summed positive weight is capped.
    fn pair_weight(
        &self,
        comparisons: &[Comparison<'_>],
        gammas: &[i8],
        mask: u32,
        a: usize,
    ) -> (f64, f64) {
        let (prior, skip) = self.prior(mask);
        let mut raw = prior;
        // Each comparison's weight, and its weight as evidence about the person (a determined
        // comparison's agreement is in the prior, but it is evidence of the same kind).
        let mut counted = [0.0f64; MAX_COMPARISONS];
        let mut evidence = [0.0f64; MAX_COMPARISONS];
        let mut gain = 0.0;
        for (c, &level) in gammas.iter().enumerate() {
            if level == NULL_LEVEL {
                continue;
            }
            let (base, adj) = self.weight(comparisons, c, level, a, skip);
            raw += base + adj;
            let full = self.weights[c][level as usize] + adj;
            let shared = c < 64 && self.model.shared & (1 << c) != 0;
            if self.household_cap.is_some() && shared && full > 0.0 {
                gain += (base + adj).max(0.0);
                counted[c] = (base + adj).min(0.0);
            } else {
                counted[c] = base + adj;
                // Without its term-frequency adjustment: agreeing on a common given name is
                // weak evidence for a person, never evidence against one.
                evidence[c] = self.weights[c][level as usize];
            }
        }
        let groups = &self.model.groups;
        let n = gammas.len();
        let mut w = prior + model::grouped_sum(&counted[..n], groups, 1.0);
        if let Some(cap) = self.household_cap {
            let personal = model::grouped_sum(&evidence[..n], groups, 1.0);
            w += model::household_gain(gain, personal, cap);
        }
        (w, w - raw)
    }

    /// Prior weight of a pair blocked by the rules in `mask`, and the comparisons (bit `c`) left
    /// out of its weight: those the rules determine, when the model has a prior fitted for that
    /// set of rules (it holds their agreement). Without one (defaults, or a set unseen when
    /// fitting), the global prior is used and every comparison counts.
    fn prior(&self, mask: u32) -> (f64, u64) {
        self.by_mask
            .get(&mask)
            .copied()
            .unwrap_or_else(|| (self.model.prior_weight_for(mask), 0))
    }

    /// Weight of comparison `c` at `level` for row `a` (whose value decides the TF adjustment);
    /// only the TF adjustment when `c` is among the `skipped` comparisons.
    fn weight(
        &self,
        comparisons: &[Comparison<'_>],
        c: usize,
        level: i8,
        a: usize,
        skipped: u64,
    ) -> (f64, f64) {
        if level == NULL_LEVEL {
            return (0.0, 0.0);
        }
        // A determined comparison's average agreement is in the prior; how much rarer this
        // value is than the column's average (the TF adjustment) still counts.
        let base = if skipped & (1 << c) == 0 {
            self.weights[c][level as usize]
        } else {
            0.0
        };
        let adj = match &self.tf[c] {
            Some(tf) if level as usize == comparisons[c].n_levels - 1 => {
                tf[comparisons[c].column.codes[a] as usize]
            }
            _ => 0.0,
        };
        (base, adj)
    }
}

/// One line of an explanation: a comparison's values, level and weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExplainRow {
    /// Comparison name (or `prior` for the first line).
    pub comparison: String,
    /// Normalised value of the first record.
    pub value_l: Option<String>,
    /// Normalised value of the second record.
    pub value_r: Option<String>,
    /// Level reached (-1 when a value is missing).
    pub level: i8,
    /// Label of that level.
    pub level_label: String,
    /// Weight of the level (log2 Bayes factor).
    pub weight: f64,
    /// Term-frequency adjustment added to it.
    pub tf_adjustment: f64,
    /// Running total of the match weight.
    pub cumulative_weight: f64,
    /// Match probability of the running total.
    pub probability: f64,
}

fn probability(w: f64) -> f64 {
    1.0 / (1.0 + (-w).exp2())
}

/// A prepared run: the data and model, kept to explain pairs after the fact.
#[derive(Debug)]
pub struct Session {
    /// The settings used.
    pub settings: Settings,
    /// The normalised data.
    pub dataset: Dataset,
    /// The model used for scoring.
    pub model: Model,
    /// Per blocking rule, each row's key hash (0: none), to tell which rules block a pair.
    pub row_keys: Vec<Vec<u64>>,
}

/// Bit `r` set when the `r`-th pair of keys is equal and present (0 means no key).
fn rule_mask<T: PartialEq + Default>(keys: impl Iterator<Item = (T, T)>) -> u32 {
    keys.enumerate()
        .filter(|(_, (x, y))| *x != T::default() && x == y)
        .fold(0, |mask, (r, _)| mask | (1 << r))
}

/// What grading the candidate pairs gives, in candidate order.
struct Graded {
    /// `gammas[i * n_comp + c]`: level of comparison `c` for pair `i`.
    gammas: Vec<i8>,
    /// Blocking rules (bit `r`) that put pair `i` in one block.
    masks: Vec<u32>,
}

/// Row-major copy of what grading a pair reads: each row's value code per comparison, then its
/// key per blocking rule (hash truncated to 32 bits, 0 for none). The columns live in separate
/// arrays, so a pair would cost a cache miss per comparison and per rule; here it costs about two.
struct RowPack {
    n_comp: usize,
    stride: usize,
    data: Vec<u32>,
}

impl RowPack {
    fn new(comparisons: &[Comparison<'_>], row_keys: &[Vec<u64>], n: usize) -> Self {
        let n_comp = comparisons.len();
        let stride = (n_comp + row_keys.len()).max(1);
        let mut data = vec![0u32; n * stride];
        data.par_chunks_mut(stride)
            .enumerate()
            .with_min_len(4096)
            .for_each(|(row, out)| {
                for (c, comp) in comparisons.iter().enumerate() {
                    out[c] = comp.column.codes[row];
                }
                for (r, keys) in row_keys.iter().enumerate() {
                    // Keys are odd when present, so the low half of a key is never 0.
                    out[n_comp + r] = keys[row] as u32;
                }
            });
        Self {
            n_comp,
            stride,
            data,
        }
    }

    fn row(&self, row: usize) -> &[u32] {
        &self.data[row * self.stride..(row + 1) * self.stride]
    }

    /// Bit `r` set when rule `r` gives both rows the same key.
    fn mask(&self, a: &[u32], b: &[u32]) -> u32 {
        rule_mask(
            a[self.n_comp..]
                .iter()
                .copied()
                .zip(b[self.n_comp..].iter().copied()),
        )
    }
}

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

/// Deduplicate one table (`tables.len() == 1`) or link two.
///
/// With `model = None`, u is estimated from random pairs and m by EM (see [`crate::model`]).
///
/// # Errors
/// Bad columns or ids, a model that does not fit the settings, or cancellation.
// Row indices a, b and sizes n, m are the vocabulary of record linkage.
#[allow(clippy::many_single_char_names)]
pub fn run(
    tables: &[(&RecordBatch, Ids)],
    settings: &Settings,
    model: Option<Model>,
    progress: &dyn Progress,
) -> Result<RunOutput> {
    settings.validate()?;
    if let Some(m) = &model {
        m.check_fits(settings)?;
    }
    let mut timings = Vec::new();
    let dataset = timed(&mut timings, "normalise", || {
        Dataset::prepare(tables, settings, progress)
    })?;
    let n = dataset.n;
    let comparisons = dataset.comparisons(settings);

    let exprs = parse_rules(settings)?;
    let determines = rule_determines(settings, &exprs);
    let parts: Vec<Vec<&CodedColumn>> = exprs
        .iter()
        .map(|r| {
            r.iter()
                .map(|e| dataset.column(&e.column, normalizer_of(settings, &e.column)))
                .collect()
        })
        .collect();
    let n_rules = exprs.len() as u64;
    let cands = timed(&mut timings, "block", || {
        blocking::candidates(
            &exprs,
            &parts,
            n,
            settings.max_block_size,
            dataset.split,
            |r| progress.update("block", r as u64 + 1, n_rules),
        )
    })?;

    // Grade every candidate pair and count patterns (with the rules that block each pair).
    let n_comp = comparisons.len();
    let total = cands.pairs.len();
    let mut graded = Graded {
        gammas: vec![0i8; total * n_comp],
        masks: vec![0u32; total],
    };
    let mut pattern_counts: FxHashMap<(u64, u32), u64> = FxHashMap::default();
    timed(&mut timings, "compare", || {
        let rows = RowPack::new(&comparisons, &cands.row_keys, n);
        for (chunk_index, ((pairs, out), masks)) in cands
            .pairs
            .chunks(CHUNK)
            .zip(graded.gammas.chunks_mut(CHUNK * n_comp.max(1)))
            .zip(graded.masks.chunks_mut(CHUNK))
            .enumerate()
        {
            let local = out
                .par_chunks_mut(n_comp.max(1))
                .zip(masks.par_iter_mut())
                .zip(pairs.par_iter())
                .with_min_len(1024)
                .fold(
                    FxHashMap::<(u64, u32), u64>::default,
                    |mut acc, ((g, m), &p)| {
                        let (a, b) = unpack(p);
                        let (ra, rb) = (rows.row(a as usize), rows.row(b as usize));
                        let mut key = 0u64;
                        for (c, comp) in comparisons.iter().enumerate() {
                            g[c] = comp.level_of_codes(ra[c], rb[c]);
                            key |= ((g[c] + 1) as u64) << (4 * c);
                        }
                        *m = rows.mask(ra, rb);
                        *acc.entry((key, *m)).or_default() += 1;
                        acc
                    },
                )
                .reduce(FxHashMap::default, |mut x, y| {
                    for (k, v) in y {
                        *x.entry(k).or_default() += v;
                    }
                    x
                });
            for (k, v) in local {
                *pattern_counts.entry(k).or_default() += v;
            }
            progress.update(
                "compare",
                ((chunk_index + 1) * CHUNK).min(total) as u64,
                total as u64,
            )?;
        }
        Ok(())
    })?;

    let fitted = model.is_none();
    let model = match model {
        Some(m) => m,
        None => timed(&mut timings, "fit", || {
            let mut m = Model::defaults(settings);
            let mut by_rank = vec![0u32; n];
            for (row, &r) in dataset.rank.iter().enumerate() {
                by_rank[r as usize] = row as u32;
            }
            let sample = model::sample_pairs(n, dataset.split, &by_rank, &settings.em);
            let sampled = sample.len() as u64;
            let u = model::estimate_u(&m, &comparisons, &sample);
            m.fit.u_pairs_sampled = sampled;
            if sampled < model::MIN_PAIRS_TO_FIT {
                // Too few records to learn from: the documented defaults are safer than noise.
                progress.update("fit", 1, 1)?;
                return Ok(m);
            }
            for (p, u) in m.comparisons.iter_mut().zip(u) {
                p.u = u;
            }
            m.household_u = model::household_u(&m, &comparisons, &sample);
            let patterns: Patterns = pattern_counts
                .iter()
                .map(|(&(key, mask), &count)| {
                    let g = (0..n_comp)
                        .map(|c| (((key >> (4 * c)) & 0xf) as i8) - 1)
                        .collect();
                    ((g, mask), count)
                })
                .collect();
            let blocked = training_masks(settings, &exprs);
            let all_pairs = match dataset.split {
                Some(cut) => cut as f64 * (n - cut) as f64,
                None => n as f64 * n.saturating_sub(1) as f64 / 2.0,
            };
            model::fit_em(
                &mut m,
                &patterns,
                &blocked,
                &determines,
                &settings.em,
                all_pairs,
            );
            progress.update("fit", 1, 1)?;
            Ok(m)
        })?,
    };

    let scorer = Scorer::new(&model, &comparisons, &determines);
    let min_weight = (settings.threshold / (1.0 - settings.threshold)).log2();
    let (kept, weights) = timed(&mut timings, "score", || {
        let scored: Vec<(usize, f64)> = cands
            .pairs
            .par_iter()
            .enumerate()
            .with_min_len(4096)
            .filter_map(|(i, &p)| {
                let a = unpack(p).0;
                let g = &graded.gammas[i * n_comp..(i + 1) * n_comp];
                let (w, _) = scorer.pair_weight(&comparisons, g, graded.masks[i], a as usize);
                (w >= min_weight).then_some((i, w))
            })
            .collect();
        progress.update("score", total as u64, total as u64)?;
        Ok(scored
            .into_iter()
            .unzip::<usize, f64, Vec<usize>, Vec<f64>>())
    })?;

    let reps = timed(&mut timings, "cluster", || {
        let edges: Vec<Edge> = kept
            .iter()
            .zip(&weights)
            .map(|(&i, &w)| {
                let (a, b) = unpack(cands.pairs[i]);
                Edge {
                    a,
                    b,
                    p: probability(w),
                }
            })
            .collect();
        let reps = cluster::cluster(
            n,
            &edges,
            &dataset.rank,
            settings.clustering,
            settings.guard_probability,
        );
        progress.update("cluster", 1, 1)?;
        Ok(reps)
    })?;

    let mut report = Report {
        rows: n,
        rows_left: dataset.split,
        candidate_pairs: total as u64,
        pairs_per_rule: cands.pairs_per_rule.clone(),
        skipped_blocks_total: cands.skipped.len(),
        skipped_rows_total: cands.skipped.iter().map(|b| b.size).sum(),
        skipped_blocks: cands.skipped.iter().take(20).cloned().collect(),
        matched_pairs: kept.len() as u64,
        fitted: fitted && !model.fit.iterations.is_empty(),
        ..Report::default()
    };
    let clusters = cluster_batch(&dataset, &reps, settings, &mut report)?;
    let pairs = pair_batch(
        &dataset,
        &comparisons,
        &scorer,
        &cands,
        &graded,
        &kept,
        &weights,
    )?;
    report.timings_ms = timings;
    drop(comparisons);
    Ok(RunOutput {
        clusters,
        pairs,
        report,
        session: Session {
            settings: settings.clone(),
            dataset,
            model,
            row_keys: cands.row_keys,
        },
    })
}

fn cluster_batch(
    dataset: &Dataset,
    reps: &[u32],
    settings: &Settings,
    report: &mut Report,
) -> Result<RecordBatch> {
    let n = reps.len();
    let mut sizes = vec![0u32; n];
    for &r in reps {
        sizes[r as usize] += 1;
    }
    report.clusters = sizes.iter().filter(|&&s| s > 0).count();
    report.multi_record_clusters = sizes.iter().filter(|&&s| s > 1).count();
    report.duplicate_records = n - report.clusters;
    report.largest_cluster = sizes.iter().copied().max().unwrap_or(0) as usize;
    let mut oversized: Vec<(usize, usize)> = sizes
        .iter()
        .enumerate()
        .filter(|(_, s)| **s as usize > settings.max_cluster_size)
        .map(|(r, s)| (r, *s as usize))
        .collect();
    oversized.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(dataset.rank[a.0].cmp(&dataset.rank[b.0]))
    });
    report.oversized_clusters = oversized;
    let size_col: ArrayRef = Arc::new(UInt32Array::from_iter_values(
        reps.iter().map(|&r| sizes[r as usize]),
    ));
    let ids = &dataset.ids;
    if dataset.split.is_none() {
        let id = &ids[0];
        let take = UInt32Array::from(reps.to_vec());
        let cluster_id = arrow_select::take::take(id.array.as_ref(), &take, None)?;
        let schema = Schema::new(vec![
            Field::new(&id.name, id.array.data_type().clone(), false),
            Field::new("cluster_id", id.array.data_type().clone(), false),
            Field::new("cluster_size", DataType::UInt32, false),
        ]);
        return Ok(RecordBatch::try_new(
            Arc::new(schema),
            vec![id.array.clone(), cluster_id, size_col],
        )?);
    }
    let (left, right) = (&ids[0], &ids[1]);
    let id_col = stack_ids(left, right)?;
    let source: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..n).map(|r| if r < left.len() { "left" } else { "right" }),
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

fn pair_batch(
    dataset: &Dataset,
    comparisons: &[Comparison<'_>],
    scorer: &Scorer,
    cands: &blocking::Candidates,
    graded: &Graded,
    kept: &[usize],
    weights: &[f64],
) -> Result<RecordBatch> {
    let n_comp = comparisons.len();
    let split = dataset.split;
    // Orient each pair (left id first for linkage, smaller id first for dedupe) and sort.
    let mut order: Vec<(u32, u32, usize)> = kept
        .iter()
        .zip(weights)
        .enumerate()
        .map(|(k, (&i, _))| {
            let (a, b) = unpack(cands.pairs[i]);
            let (a, b) = if split.is_none() && dataset.rank[a as usize] > dataset.rank[b as usize] {
                (b, a)
            } else {
                (a, b)
            };
            (a, b, k)
        })
        .collect();
    order.par_sort_unstable_by_key(|&(a, b, _)| {
        (dataset.rank[a as usize], dataset.rank[b as usize])
    });
    let offset = split.unwrap_or(0) as u32;
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
                let skip = scorer.prior(graded.masks[kept[o.2]]).1;
                let (base, adj) = scorer.weight(comparisons, c, level(o), o.0 as usize, skip);
                base + adj
            },
        ))));
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

impl Session {
    /// Explain rows `a` and `b` (indices over all rows, left first for linkage).
    ///
    /// # Errors
    /// [`Error::Settings`] when a row is out of range.
    pub fn explain(&self, a: usize, b: usize) -> Result<Vec<ExplainRow>> {
        if a >= self.dataset.n || b >= self.dataset.n {
            return Err(Error::settings(
                "row",
                format!("rows {a} and {b}: there are {} rows", self.dataset.n),
            ));
        }
        let comparisons = self.dataset.comparisons(&self.settings);
        let determines = rule_determines(&self.settings, &parse_rules(&self.settings)?);
        let scorer = Scorer::new(&self.model, &comparisons, &determines);
        let mask = rule_mask(self.row_keys.iter().map(|k| (k[a], k[b])));
        let gammas: Vec<i8> = comparisons.iter().map(|c| c.level(a, b)).collect();
        let (_, household) = scorer.pair_weight(&comparisons, &gammas, mask, a);
        let (mut total, skip) = scorer.prior(mask);
        let mut rows = vec![ExplainRow {
            comparison: "prior".to_owned(),
            value_l: None,
            value_r: None,
            level: NULL_LEVEL,
            level_label: String::new(),
            weight: total,
            tf_adjustment: 0.0,
            cumulative_weight: total,
            probability: probability(total),
        }];
        for (c, comp) in comparisons.iter().enumerate() {
            let level = comp.level(a, b);
            let (weight, adj) = scorer.weight(&comparisons, c, level, a, skip);
            total += weight + adj;
            let labels = crate::compare::level_labels(comp.spec);
            rows.push(ExplainRow {
                comparison: comp.spec.name.clone(),
                value_l: comp.column.get(a).map(str::to_owned),
                value_r: comp.column.get(b).map(str::to_owned),
                level,
                level_label: if level == NULL_LEVEL {
                    "null".to_owned()
                } else if skip & (1 << c) != 0 {
                    // The pair was blocked on this value: its agreement is in the prior.
                    format!("{} (blocking key, in the prior)", labels[level as usize])
                } else {
                    labels[level as usize].clone()
                },
                weight,
                tf_adjustment: adj,
                cumulative_weight: total,
                probability: probability(total),
            });
        }
        if household != 0.0 {
            total += household;
            rows.push(ExplainRow {
                comparison: "household cap".to_owned(),
                value_l: None,
                value_r: None,
                level: NULL_LEVEL,
                level_label: "shared values (surname, address…): counted once, and only for a \
                              pair whose other evidence is not against it"
                    .to_owned(),
                weight: household,
                tf_adjustment: 0.0,
                cumulative_weight: total,
                probability: probability(total),
            });
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::sample;
    use arrow_array::Array;

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
        run(&[(batch, ids)], settings, None, &NoProgress).unwrap()
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
}
