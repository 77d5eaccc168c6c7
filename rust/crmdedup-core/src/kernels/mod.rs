//! Kernels: the stages of a run as separate calls over Arrow batches, for callers that
//! distribute the work (Spark partitions) or keep state between runs (an incremental base).
//!
//! Each kernel goes through the same code as [`crate::pipeline::run`]: [`blocking_keys`] the
//! normalisers and key hashes of blocking, [`score_pairs`] grading and scoring,
//! [`pattern_histogram`] and [`fit_from_histograms`] the histograms and EM of fitting, and
//! [`candidate_changes`] the size cap and rule ownership of blocking, so their results equal a
//! batch run's.

mod changes;
mod fit;
mod keys;
mod pairs;

pub use changes::{Status, candidate_changes};
pub use fit::{
    PAIRS, RULE_MASK, fit_from_histograms, histogram_batch, histogram_of_batch, pattern_histogram,
    random_pairs,
};
pub use keys::blocking_keys;
pub use pairs::score_pairs;
