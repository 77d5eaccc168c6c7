//! Progress reports and cancellation: long loops of the engine call a [`Progress`] between
//! chunks of work, and stop when it returns an error.

use crate::error::Result;

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
