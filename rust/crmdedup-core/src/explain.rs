//! Explaining a pair: the prior, then each comparison's values, level and weight with the
//! running total, as the scorer weighed them.

use serde::Serialize;

use crate::block::{parse_rules, rule_determines, rule_mask};
use crate::compare::{Comparison, NULL_LEVEL, level_labels};
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::score::{Scorer, probability};
use crate::settings::Settings;
use crate::tf::TfTables;

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
    /// The term-frequency tables the run was given, if any.
    pub tf_tables: Option<TfTables>,
}

impl ExplainRow {
    /// A line without values or level (the prior, the household cap).
    fn summary(comparison: &str, level_label: String, weight: f64, total: f64) -> Self {
        Self {
            comparison: comparison.to_owned(),
            value_l: None,
            value_r: None,
            level: NULL_LEVEL,
            level_label,
            weight,
            tf_adjustment: 0.0,
            cumulative_weight: total,
            probability: probability(total),
        }
    }
}

/// Label of `level` of `comp` (comparison `c`), saying when a blocking key's agreement is in
/// the prior (`skip`: the comparisons left out of the weight).
fn label(comp: &Comparison<'_>, c: usize, level: i8, skip: u64) -> String {
    let labels = level_labels(comp.spec);
    if level == NULL_LEVEL {
        "null".to_owned()
    } else if skip & (1 << c) != 0 {
        // The pair was blocked on this value: its agreement is in the prior.
        format!("{} (blocking key, in the prior)", labels[level as usize])
    } else {
        labels[level as usize].clone()
    }
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
        let scorer = Scorer::new(
            &self.model,
            &comparisons,
            &determines,
            self.tf_tables.as_ref(),
        );
        let mask = rule_mask(self.row_keys.iter().map(|k| (k[a], k[b])));
        let gammas = crate::compare::levels(&comparisons, a, b);
        let (_, household) = scorer.pair_weight(&comparisons, &gammas, mask, (a, b));
        let set = scorer.rule_set(mask);
        let (mut total, skip) = (set.prior, set.skipped);
        let mut rows = vec![ExplainRow::summary("prior", String::new(), total, total)];
        for (c, comp) in comparisons.iter().enumerate() {
            let level = gammas[c];
            let (weight, adj) = scorer.weight(&comparisons, c, level, (a, b), &set);
            total += weight + adj;
            rows.push(ExplainRow {
                comparison: comp.spec.name.clone(),
                value_l: comp.column.get(a).map(str::to_owned),
                value_r: comp.column.get(b).map(str::to_owned),
                level,
                level_label: label(comp, c, level, skip),
                weight,
                tf_adjustment: adj,
                cumulative_weight: total,
                probability: probability(total),
            });
        }
        // `w - raw` of equal sums in another order: rounding is not an adjustment.
        if household.abs() > 1e-9 {
            total += household;
            rows.push(ExplainRow::summary(
                "household cap",
                "shared values (surname, address…): counted once, and only for a pair whose \
                 other evidence is not against it; the fields of one group (an address) \
                 disagreeing together weigh no less than the group's measured floor"
                    .to_owned(),
                household,
                total,
            ));
        }
        Ok(rows)
    }
}
