//! crmdedup-core: deduplication and record linkage of CRM contacts over Arrow data.
//!
//! Pure Rust, no Python. [`pipeline::run`] chains the stages, one module each: columns are
//! normalised ([`normalize`], [`dataset`]), candidate pairs built by blocking ([`block`]),
//! graded ([`compare`]), scored ([`score`]) by a Fellegi–Sunter model fitted without labels
//! ([`model`]), clustered ([`cluster`], honouring steward decisions) and returned as Arrow
//! batches ([`output`]); [`explain`] details one pair afterwards. [`kernels`] expose the
//! stages as separate calls (blocking keys, scoring given pairs, candidate changes). Term-frequency tables
//! ([`tf`]) can be computed once and given to later runs, which then score with them.

pub mod block;
pub mod cluster;
pub mod column;
pub mod compare;
pub mod dataset;
pub mod error;
pub mod explain;
pub mod ids;
pub mod inspect;
pub mod kernels;
pub mod model;
pub mod normalize;
pub mod output;
pub mod pipeline;
pub mod progress;
pub mod score;
pub mod settings;
pub mod tf;

pub use cluster::{Decisions, IdPairs, PairColumns, cluster_pairs};

/// Revision of what the engine derives from the same records, settings and model: normalised
/// values, blocking keys, comparison levels and match weights. Raised whenever one of them
/// changes, so that what was stored under another revision (a `Base`'s keys and scored links)
/// is recomputed rather than mixed with what this engine would derive.
///
/// 1: street words shared by two readings kept short (`st`, `ste`, `dr`), more legal forms,
/// typos in long words of token Jaccard comparisons, English short given names, countries
/// read as ISO codes (also for phones); a group weighs at least its floor with its agreements
/// included.
pub const REVISION: u32 = 1;
pub use error::{Error, Result};
pub use explain::{ExplainRow, Session};
pub use ids::Ids;
pub use model::Model;
pub use output::Report;
pub use pipeline::{RunOutput, run};
pub use progress::{NoProgress, Progress};
pub use settings::{ClusterMethod, Settings};
pub use tf::{TfTable, TfTables, tf_tables};
