//! Settings of a run: which columns are compared how, blocking rules, model fitting, threshold.
//!
//! They arrive as JSON from Python (where the documented defaults live) and are validated here,
//! so that every error names the key that is wrong.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::normalize::Normalizer;

/// Most comparisons one run can hold (a comparison pattern is packed into 64 bits).
pub const MAX_COMPARISONS: usize = 16;

/// How two normalised values of one comparison are graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Two levels: exact or not.
    Exact,
    /// Exact, then Jaro-Winkler similarity at or above each threshold (descending, in (0, 1)).
    JaroWinkler,
    /// Exact, then Levenshtein distance at or below each threshold (ascending integers).
    Levenshtein,
    /// Exact, then Damerau (optimal string alignment) distance at or below each threshold.
    DamerauLevenshtein,
    /// Exact, then Jaccard similarity of word sets at or above each threshold (descending).
    /// Outside addresses, two words of at least five characters one edit or swap apart count
    /// as one (`Lumensoft` and `Lumnesoft`).
    TokenJaccard,
    /// Person names: exact; same canonical given name (short forms and diminutives such as
    /// Alex/Alexandre); Jaro-Winkler at or above each threshold (descending); same French
    /// phonetic key; one an initial or prefix of the other (`s` and `scott`); else. The name
    /// comparisons named `first_name` and `last_name` are also graded across fields when both
    /// disagree in place (see [`crate::compare::swapped_names`]).
    Name,
    /// Dates (normalised with [`Normalizer::Date`]): exact; day and month transposed; one of
    /// year, month and day differs; same day and month a year apart; else. No thresholds.
    Date,
}

impl Method {
    /// Whether thresholds are similarities in (0, 1] (else integer distances).
    #[must_use]
    pub fn uses_similarity(self) -> bool {
        matches!(self, Self::JaroWinkler | Self::TokenJaccard | Self::Name)
    }
}

/// One comparison: a column, how it is normalised and how its values are graded into levels.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ComparisonSpec {
    /// Output name (`gamma_<name>`); unique.
    pub name: String,
    /// Input column.
    pub column: String,
    /// Normaliser applied before comparison and blocking.
    pub normalizer: Normalizer,
    /// Grading method.
    pub method: Method,
    /// Thresholds of the fuzzy levels, strictest first.
    #[serde(default)]
    pub thresholds: Vec<f64>,
    /// Adjust the exact level's weight by how frequent the value is.
    #[serde(default)]
    pub term_frequency: bool,
    /// Values that people living or working together share (surname, address, landline,
    /// company). Candidate pairs found only through such values (a rule whose keys all read
    /// shared columns) are mostly households and colleagues, so EM does not learn the other
    /// comparisons' m from them (see [`crate::model::fit_em`]).
    #[serde(default)]
    pub shared: bool,
    /// Comparisons of one group (non-empty name, e.g. `address` for street, number, postcode
    /// and city) describe one fact: when several of them disagree, only the strongest
    /// disagreement counts (a move changes every address field at once).
    #[serde(default)]
    pub group: String,
}

/// Blocking: rows whose keys are equal on every part of a rule become candidate pairs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BlockingRule {
    /// Key expressions, e.g. `last_name`, `first_name[:1]`, `phonetic(last_name)`.
    pub keys: Vec<String>,
}

/// Expectation-maximisation and sampling parameters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EmSettings {
    /// Iteration cap of EM.
    pub max_iterations: u32,
    /// EM stops when no parameter moves by more than this.
    pub tolerance: f64,
    /// At most this many random record pairs are drawn to estimate u-probabilities (see
    /// [`crate::model::u_sample_budget`]).
    pub u_sample_size: u64,
    /// Seed of every random choice of the run.
    pub seed: u64,
    /// Also re-estimate u among the candidate pairs (starting from the random-pair u): blocked
    /// non-matches such as members of one household agree more often than random pairs do.
    pub estimate_u: bool,
}

/// How scored pairs above the threshold become clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterMethod {
    /// Plain connected components (union-find) of the pairs above the threshold.
    ConnectedComponents,
    /// Union-find in decreasing weight order that refuses to join two groups of several records
    /// through one link: joining needs a link that is strong for both sides (see the docs).
    Guarded,
}

/// Default of [`Settings::pairs_per_record`].
pub const DEFAULT_PAIRS_PER_RECORD: usize = 10;

fn default_pairs_per_record() -> usize {
    DEFAULT_PAIRS_PER_RECORD
}

/// The whole configuration of a run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Comparisons, in output order.
    pub comparisons: Vec<ComparisonSpec>,
    /// Blocking rules; candidate pairs are their union.
    pub blocking_rules: Vec<BlockingRule>,
    /// Minimum match probability for a pair to be kept and clustered.
    pub threshold: f64,
    /// Blocks larger than this are not expanded into pairs, and are reported.
    pub max_block_size: usize,
    /// Per blocking rule, the pairs a record starts in its block: ordered (see
    /// [`crate::block::rule_orders`]), each record is paired with the next this many, so a
    /// block of at most `pairs_per_record + 1` records gives all its pairs.
    #[serde(default = "default_pairs_per_record")]
    pub pairs_per_record: usize,
    /// Model fitting.
    pub em: EmSettings,
    /// Clustering method.
    pub clustering: ClusterMethod,
    /// Probability of the weakest link allowed to join two multi-record groups when
    /// `clustering` is `guarded`.
    pub guard_probability: f64,
    /// Clusters larger than this are reported as suspicious (chaining alarm).
    pub max_cluster_size: usize,
    /// Region assumed for phone numbers without a country code (ISO 3166 alpha-2).
    pub default_region: String,
    /// A column of ISO 3166 alpha-2 codes (`FR`, `gb`, `UK` for GB) giving each record's region
    /// for its phone numbers without a country code; rows without a code use
    /// `default_region`.
    #[serde(default)]
    pub region_column: Option<String>,
}

impl Settings {
    /// Parse and validate settings from JSON.
    ///
    /// # Errors
    /// [`Error::Settings`] naming the offending key.
    pub fn from_json(json: &str) -> Result<Self> {
        let settings: Self =
            serde_json::from_str(json).map_err(|e| Error::settings("settings", e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Normaliser a column goes through: the one of the first comparison reading it, else text
    /// (a column read only by blocking rules).
    #[must_use]
    pub fn normalizer_of(&self, column: &str) -> Normalizer {
        self.comparisons
            .iter()
            .find(|c| c.column == column)
            .map_or(Normalizer::Text, |c| c.normalizer)
    }

    /// Check every invariant the engine relies on.
    ///
    /// # Errors
    /// [`Error::Settings`] naming the offending key.
    pub fn validate(&self) -> Result<()> {
        if self.comparisons.is_empty() || self.comparisons.len() > MAX_COMPARISONS {
            return Err(Error::settings(
                "comparisons",
                format!(
                    "between 1 and {MAX_COMPARISONS} comparisons are needed, got {}",
                    self.comparisons.len()
                ),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (i, c) in self.comparisons.iter().enumerate() {
            let key = |k: &str| format!("comparisons[{i}].{k}");
            if c.name.is_empty() || !names.insert(c.name.as_str()) {
                return Err(Error::settings(
                    key("name"),
                    format!("{:?} is empty or repeated", c.name),
                ));
            }
            if c.column.is_empty() {
                return Err(Error::settings(key("column"), "empty column name"));
            }
            validate_thresholds(c, &key("thresholds"))?;
        }
        if self.blocking_rules.is_empty() || self.blocking_rules.len() > 32 {
            return Err(Error::settings(
                "blocking_rules",
                "between 1 and 32 blocking rules are needed",
            ));
        }
        for (i, rule) in self.blocking_rules.iter().enumerate() {
            if rule.keys.is_empty() {
                return Err(Error::settings(
                    format!("blocking_rules[{i}]"),
                    "a rule needs at least one key",
                ));
            }
            for (j, key) in rule.keys.iter().enumerate() {
                crate::block::KeyExpr::parse(key)
                    .map_err(|m| Error::settings(format!("blocking_rules[{i}].keys[{j}]"), m))?;
            }
        }
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(Error::settings(
                "threshold",
                format!("{} is not strictly between 0 and 1", self.threshold),
            ));
        }
        if !(self.guard_probability > 0.0 && self.guard_probability < 1.0) {
            return Err(Error::settings(
                "guard_probability",
                format!("{} is not strictly between 0 and 1", self.guard_probability),
            ));
        }
        if self.max_cluster_size < 2 {
            return Err(Error::settings("max_cluster_size", "must be at least 2"));
        }
        if self.max_block_size < 2 {
            return Err(Error::settings("max_block_size", "must be at least 2"));
        }
        if self.pairs_per_record < 1 {
            return Err(Error::settings("pairs_per_record", "must be at least 1"));
        }
        if self.em.max_iterations == 0 {
            return Err(Error::settings("em.max_iterations", "must be at least 1"));
        }
        if self.em.tolerance.is_nan() || self.em.tolerance <= 0.0 {
            return Err(Error::settings("em.tolerance", "must be positive"));
        }
        if self.default_region.len() != 2
            || !self.default_region.chars().all(|c| c.is_ascii_uppercase())
        {
            return Err(Error::settings(
                "default_region",
                format!(
                    "{:?} is not a two-letter upper-case region code",
                    self.default_region
                ),
            ));
        }
        Ok(())
    }
}

fn validate_thresholds(c: &ComparisonSpec, key: &str) -> Result<()> {
    let t = &c.thresholds;
    match c.method {
        Method::Exact | Method::Date => {
            if !t.is_empty() {
                let name = if c.method == Method::Exact {
                    "exact"
                } else {
                    "date"
                };
                return Err(Error::settings(
                    key,
                    format!("method `{name}` takes no thresholds"),
                ));
            }
        }
        m if m.uses_similarity() => {
            if t.iter().any(|x| !(*x > 0.0 && *x < 1.0)) {
                return Err(Error::settings(
                    key,
                    format!("{t:?}: similarities must be strictly between 0 and 1"),
                ));
            }
            if t.windows(2).any(|w| w[0] <= w[1]) {
                return Err(Error::settings(
                    key,
                    format!("{t:?}: similarities must be strictly decreasing"),
                ));
            }
        }
        _ => {
            if t.iter().any(|x| !(*x >= 1.0 && x.fract() == 0.0)) {
                return Err(Error::settings(
                    key,
                    format!("{t:?}: distances must be whole numbers >= 1"),
                ));
            }
            if t.windows(2).any(|w| w[0] >= w[1]) {
                return Err(Error::settings(
                    key,
                    format!("{t:?}: distances must be strictly increasing"),
                ));
            }
        }
    }
    if t.len() > 8 {
        return Err(Error::settings(key, "at most 8 thresholds"));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Small valid settings used across the crate's tests.
    pub(crate) fn sample() -> Settings {
        Settings {
            comparisons: vec![
                ComparisonSpec {
                    name: "first_name".into(),
                    column: "first_name".into(),
                    normalizer: Normalizer::Name,
                    method: Method::JaroWinkler,
                    thresholds: vec![0.92, 0.8],
                    term_frequency: false,
                    shared: false,
                    group: String::new(),
                },
                ComparisonSpec {
                    name: "last_name".into(),
                    column: "last_name".into(),
                    normalizer: Normalizer::Name,
                    method: Method::JaroWinkler,
                    thresholds: vec![0.92, 0.8],
                    term_frequency: true,
                    shared: false,
                    group: String::new(),
                },
                ComparisonSpec {
                    name: "email".into(),
                    column: "email".into(),
                    normalizer: Normalizer::Email,
                    method: Method::Levenshtein,
                    thresholds: vec![1.0, 2.0],
                    term_frequency: false,
                    shared: false,
                    group: String::new(),
                },
            ],
            blocking_rules: vec![
                BlockingRule {
                    keys: vec!["last_name".into(), "first_name[:1]".into()],
                },
                BlockingRule {
                    keys: vec!["email".into()],
                },
            ],
            threshold: 0.9,
            max_block_size: 1000,
            pairs_per_record: DEFAULT_PAIRS_PER_RECORD,
            em: EmSettings {
                max_iterations: 50,
                tolerance: 1e-6,
                u_sample_size: 100_000,
                seed: 42,
                estimate_u: false,
            },
            clustering: ClusterMethod::ConnectedComponents,
            guard_probability: 0.99,
            max_cluster_size: 50,
            default_region: "FR".into(),
            region_column: None,
        }
    }

    #[test]
    fn errors_name_the_key() {
        let mut s = sample();
        s.comparisons[1].thresholds = vec![0.8, 0.9];
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("comparisons[1].thresholds"), "{e}");

        let mut s = sample();
        s.blocking_rules[1].keys[0] = "nope(email)".into();
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.contains("blocking_rules[1].keys[0]") && e.contains("nope"),
            "{e}"
        );

        let e = Settings::from_json(r#"{"comparisons": [], "tresholds": 1}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("tresholds") || e.contains("unknown field"),
            "{e}"
        );
    }

    #[test]
    fn json_round_trip() {
        let s = sample();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(Settings::from_json(&json).unwrap(), s);
    }
}
