//! Engine work runs on a thread of its own while the calling thread, which holds the GIL between
//! short waits, checks for signals and forwards progress to the Python callback. Ctrl-C is then
//! seen within a few milliseconds whatever the engine is doing: `check_signals` only runs
//! Python's handlers on the main thread, never on a pool worker.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crmdedup_core as engine;
use pyo3::prelude::*;

use crate::errors::{self, BindError};

/// How long the calling thread waits, GIL released, between two looks at signals and progress.
const POLL: Duration = Duration::from_millis(20);

/// How long a cancelled run is waited for before it is left to stop at its next progress call.
const GRACE: Duration = Duration::from_millis(50);

/// What the engine reports, kept until the calling thread forwards it; and the stop flag.
#[derive(Default)]
struct Shared {
    events: Mutex<Vec<(String, u64, u64)>>,
    cancelled: AtomicBool,
}

impl engine::Progress for Shared {
    fn update(&self, stage: &str, done: u64, total: u64) -> engine::Result<()> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(engine::Error::Cancelled);
        }
        if let Ok(mut events) = self.events.lock() {
            events.push((stage.to_owned(), done, total));
        }
        Ok(())
    }
}

impl Shared {
    /// Run pending signal handlers, then hand queued progress to the callback.
    fn forward(&self, py: Python<'_>, callback: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        py.check_signals()?;
        let events = self
            .events
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default();
        if let Some(cb) = callback {
            for (stage, done, total) in events {
                cb.call1((stage, done, total))?;
            }
        }
        Ok(())
    }
}

type Outcome<T> = std::thread::Result<engine::Result<T>>;

/// Wait up to `timeout` for the worker, with the GIL released.
fn wait<T: Send>(
    py: Python<'_>,
    rx: Receiver<Outcome<T>>,
    timeout: Duration,
) -> (Receiver<Outcome<T>>, Result<Outcome<T>, RecvTimeoutError>) {
    py.detach(move || {
        let got = rx.recv_timeout(timeout);
        (rx, got)
    })
}

/// Run `work` on `pool`, interruptible by Ctrl-C (or any signal whose Python handler raises)
/// and by an exception from `callback`, which receives `(stage, done, total)`.
///
/// On interruption the engine is told to stop and given [`GRACE`] to do so; past that the
/// caller gets its exception at once and the engine stops on its own at its next progress call,
/// dropping its inputs and results.
pub fn run<T: Send + 'static>(
    py: Python<'_>,
    pool: Arc<rayon::ThreadPool>,
    callback: Option<&Bound<'_, PyAny>>,
    work: impl FnOnce(&dyn engine::Progress) -> engine::Result<T> + Send + 'static,
) -> PyResult<T> {
    let shared = Arc::new(Shared::default());
    let (tx, mut rx) = mpsc::channel::<Outcome<T>>();
    let progress = Arc::clone(&shared);
    std::thread::Builder::new()
        .name("crmdedup-run".into())
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pool.install(|| work(&*progress))
            }));
            // The caller is gone when it was interrupted: nobody wants the result then.
            let _ = tx.send(outcome);
        })
        .map_err(|e| errors::CrmdedupError::new_err(format!("cannot start the engine: {e}")))?;
    loop {
        let (back, got) = wait(py, rx, POLL);
        rx = back;
        let checked = shared.forward(py, callback);
        match (got, checked) {
            (_, Err(e)) => {
                shared.cancelled.store(true, Ordering::Relaxed);
                let _ = wait(py, rx, GRACE);
                return Err(e);
            }
            (Ok(Ok(Ok(value))), Ok(())) => return Ok(value),
            (Ok(Ok(Err(e))), Ok(())) => return Err(BindError::from(e).into()),
            (Ok(Err(panic)), Ok(())) => return Err(errors::internal(&panic)),
            (Err(RecvTimeoutError::Timeout), Ok(())) => {}
            (Err(RecvTimeoutError::Disconnected), Ok(())) => {
                return Err(errors::CrmdedupError::new_err(
                    "internal error (please report it): the engine stopped without a result",
                ));
            }
        }
    }
}
