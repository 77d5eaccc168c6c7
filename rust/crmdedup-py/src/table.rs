//! Arrow tables handed back to Python through the Arrow C stream interface.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int8Array, RecordBatch, StringArray};
use arrow_schema::{ArrowError, Field, FieldRef, SchemaRef};
use crmdedup_core::ExplainRow;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use pyo3_arrow::{PyChunkedArray, PyTable};

/// The Arrow C stream capsule of a pyo3-arrow object, honouring the consumer's requested schema.
fn stream_capsule<'py, T: pyo3::PyClass>(
    exportable: Bound<'py, T>,
    requested_schema: Option<Bound<'py, PyCapsule>>,
) -> PyResult<Bound<'py, PyAny>> {
    exportable
        .into_any()
        .call_method1("__arrow_c_stream__", (requested_schema,))
}

/// An Arrow table any Arrow consumer reads without copying (`pl.DataFrame(t)`, `pa.table(t)`).
#[pyclass(name = "ArrowTable", module = "crmdedup._core", frozen)]
pub struct ArrowTable {
    batches: Vec<RecordBatch>,
    schema: SchemaRef,
}

impl ArrowTable {
    /// Wrap one batch.
    pub fn from_batch(batch: RecordBatch) -> Self {
        Self {
            schema: batch.schema(),
            batches: vec![batch],
        }
    }
}

#[pymethods]
impl ArrowTable {
    /// Export as an Arrow C stream (the Arrow `PyCapsule` interface).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let table = PyTable::try_new(self.batches.clone(), self.schema.clone())?;
        stream_capsule(Bound::new(py, table)?, requested_schema)
    }

    /// Number of rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    fn __len__(&self) -> usize {
        self.num_rows()
    }
}

/// One Arrow array any Arrow consumer reads without copying (`pl.Series(a)`, `pa.array(a)`).
#[pyclass(name = "ArrowArray", module = "crmdedup._core", frozen)]
pub struct ArrowArray {
    array: ArrayRef,
    field: FieldRef,
}

impl ArrowArray {
    /// Wrap `array` as a nullable field called `name`.
    pub fn new(name: &str, array: ArrayRef) -> Self {
        let field = Arc::new(Field::new(name, array.data_type().clone(), true));
        Self { array, field }
    }
}

#[pymethods]
impl ArrowArray {
    /// Export as an Arrow C stream of one chunk (the Arrow `PyCapsule` interface).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let chunked = PyChunkedArray::try_new(vec![self.array.clone()], self.field.clone())?;
        stream_capsule(Bound::new(py, chunked)?, requested_schema)
    }

    fn __len__(&self) -> usize {
        self.array.len()
    }
}

/// The rows of an explanation as a batch.
pub fn explain_batch(rows: &[ExplainRow]) -> Result<RecordBatch, ArrowError> {
    let strings = |f: &dyn Fn(&ExplainRow) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let floats = |f: &dyn Fn(&ExplainRow) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(rows.iter().map(f)))
    };
    RecordBatch::try_from_iter(vec![
        ("comparison", strings(&|r| Some(r.comparison.clone()))),
        ("value_l", strings(&|r| r.value_l.clone())),
        ("value_r", strings(&|r| r.value_r.clone())),
        (
            "level",
            Arc::new(Int8Array::from_iter_values(rows.iter().map(|r| r.level))) as ArrayRef,
        ),
        ("level_label", strings(&|r| Some(r.level_label.clone()))),
        ("weight", floats(&|r| r.weight)),
        ("tf_adjustment", floats(&|r| r.tf_adjustment)),
        ("cumulative_weight", floats(&|r| r.cumulative_weight)),
        ("probability", floats(&|r| r.probability)),
    ])
}
