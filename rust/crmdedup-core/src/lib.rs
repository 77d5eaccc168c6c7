//! crmdedup-core: deduplication and record linkage of CRM contacts over Arrow data.
//!
//! Pure Rust, no Python: columns are normalised ([`normalize`]), candidate pairs built by
//! blocking ([`blocking`]), graded ([`compare`]), scored by a Fellegi–Sunter model fitted without
//! labels ([`model`]) and clustered ([`cluster`]); [`pipeline::run`] chains them.

pub mod blocking;
pub mod cluster;
pub mod column;
pub mod compare;
pub mod error;
pub mod inspect;
pub mod model;
pub mod normalize;
pub mod pipeline;
pub mod settings;

pub use error::{Error, Result};
pub use model::Model;
pub use pipeline::{NoProgress, Progress, RunOutput, Session, run};
pub use settings::Settings;
