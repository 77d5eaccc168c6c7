//! The one error type of the engine: every variant names the column, row or key involved.

/// Errors the engine reports; messages are lower case, name the offending thing and say what was
/// expected.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A column named by the settings or the call is not in the table.
    #[error("column `{column}` is missing (available: {available})")]
    MissingColumn {
        /// The column that was asked for.
        column: String,
        /// The columns the table has, comma separated.
        available: String,
    },
    /// A column has a type the engine cannot compare.
    #[error("column `{column}` has type {found}, expected {expected}")]
    WrongType {
        /// The offending column.
        column: String,
        /// Its Arrow type.
        found: String,
        /// What would have been accepted.
        expected: String,
    },
    /// Two rows share an id.
    #[error(
        "duplicate id {value:?} in column `{column}` at rows {first} and {second} (counting from 1)"
    )]
    DuplicateId {
        /// The id column.
        column: String,
        /// The repeated value.
        value: String,
        /// First row holding it, counting from 1.
        first: usize,
        /// Second row holding it, counting from 1.
        second: usize,
    },
    /// An id is null.
    #[error("null id in column `{column}` at row {row} (counting from 1)")]
    NullId {
        /// The id column.
        column: String,
        /// The row with the null, counting from 1.
        row: usize,
    },
    /// A pair names a record that is not among the records' ids.
    #[error(
        "id {value:?} in column `{column}` at row {row} of the pairs (counting from 1) is not \
         among the records' ids"
    )]
    UnknownId {
        /// The pairs' id column.
        column: String,
        /// The unknown id.
        value: String,
        /// Its row in the pairs table, counting from 1.
        row: usize,
    },
    /// A pair has a null id or a probability outside [0, 1].
    #[error("column `{column}` at row {row} of the pairs (counting from 1): {message}")]
    InvalidPair {
        /// The offending column.
        column: String,
        /// The row, counting from 1.
        row: usize,
        /// What is wrong.
        message: String,
    },
    /// A value of an input table that the call cannot use (a keys table's status, a rule out of
    /// range…).
    #[error("column `{column}` at row {row} of the {table} (counting from 1): {message}")]
    InvalidValue {
        /// Which input table (`keys`, `pairs`).
        table: String,
        /// The offending column.
        column: String,
        /// The row, counting from 1.
        row: usize,
        /// What is wrong and what was expected.
        message: String,
    },
    /// Must-link decisions alone join two records a cannot-link decision keeps apart.
    #[error(
        "decisions conflict: cannot-link `{left}` and `{right}` are joined by the must-link chain \
         {chain}\nhint: remove the cannot-link pair or one of the must-link pairs of the chain"
    )]
    ConflictingDecisions {
        /// One id of the cannot-link pair.
        left: String,
        /// The other id.
        right: String,
        /// Ids of a must-link path between them, `left` first, in backticks.
        chain: String,
    },
    /// The settings are inconsistent; the message names the key.
    #[error("invalid settings: {key}: {message}")]
    Settings {
        /// Dotted path of the offending key, e.g. `comparisons[1].thresholds`.
        key: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A model does not fit the settings it is used with.
    #[error("model does not fit the settings: {0}")]
    Model(String),
    /// Term-frequency tables that do not fit the settings, or an invalid row of them.
    #[error(
        "tf tables{}: {message}",
        .row.map(|r| format!(", row {r} (counting from 1)")).unwrap_or_default()
    )]
    TfTable {
        /// The offending row, counting from 1, when one row is at fault.
        row: Option<usize>,
        /// What is wrong, naming the comparison.
        message: String,
    },
    /// The table is too large for 32-bit row indices.
    #[error("too many rows: {rows} (at most {max})")]
    TooManyRows {
        /// Rows given.
        rows: usize,
        /// The limit.
        max: usize,
    },
    /// The caller asked to stop (for instance Ctrl-C in Python).
    #[error("interrupted")]
    Cancelled,
    /// An Arrow kernel failed.
    #[error(transparent)]
    Arrow(#[from] arrow_schema::ArrowError),
}

impl Error {
    /// Shorthand for [`Error::Settings`].
    pub fn settings(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Settings {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Result alias of the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;
