//! The one place engine errors become Python exceptions (classes live in `crmdedup.errors`).

use crmdedup_core as engine;
use pyo3::PyErr;

pyo3::import_exception!(crmdedup.errors, CrmdedupError);
pyo3::import_exception!(crmdedup.errors, ConfigError);
pyo3::import_exception!(crmdedup.errors, SchemaError);

/// An error on its way to Python.
pub enum BindError {
    /// From the engine.
    Core(engine::Error),
    /// Already a Python error.
    Py(PyErr),
}

impl From<engine::Error> for BindError {
    fn from(e: engine::Error) -> Self {
        Self::Core(e)
    }
}

impl From<PyErr> for BindError {
    fn from(e: PyErr) -> Self {
        Self::Py(e)
    }
}

impl From<arrow_schema::ArrowError> for BindError {
    fn from(e: arrow_schema::ArrowError) -> Self {
        Self::Core(engine::Error::Arrow(e))
    }
}

impl From<BindError> for PyErr {
    fn from(e: BindError) -> PyErr {
        use engine::Error as E;
        match e {
            BindError::Py(e) => e,
            BindError::Core(
                e @ (E::MissingColumn { .. }
                | E::WrongType { .. }
                | E::DuplicateId { .. }
                | E::NullId { .. }
                | E::TooManyRows { .. }
                | E::UnknownId { .. }
                | E::InvalidPair { .. }
                | E::InvalidValue { .. }
                | E::ConflictingDecisions { .. }
                | E::TfTable { .. }),
            ) => SchemaError::new_err(e.to_string()),
            BindError::Core(e @ (E::Settings { .. } | E::Model(_))) => {
                ConfigError::new_err(e.to_string())
            }
            BindError::Core(e) => CrmdedupError::new_err(e.to_string()),
        }
    }
}

/// A model that cannot be read, whatever settings it would be used with.
pub fn invalid_model(e: engine::Error) -> PyErr {
    match e {
        engine::Error::Model(message) => ConfigError::new_err(format!("invalid model: {message}")),
        e => BindError::Core(e).into(),
    }
}

/// A panic in the engine is a bug: report it as an error, never crash the interpreter.
pub fn internal(panic: &Box<dyn std::any::Any + Send>) -> PyErr {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    CrmdedupError::new_err(format!("internal error (please report it): {what}"))
}
