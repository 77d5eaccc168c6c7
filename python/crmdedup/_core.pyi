"""Type stubs of the Rust extension (see the Python wrappers for user documentation)."""

from collections.abc import Callable
from typing import Literal, final

__all__ = [
    "REVISION",
    "ArrowArray",
    "ArrowTable",
    "Run",
    "__version__",
    "blocking_keys",
    "candidate_changes",
    "canonical_contact_points",
    "cluster",
    "dedupe",
    "fit_from_histograms",
    "link",
    "normalize_columns",
    "pattern_histogram",
    "profile_columns",
    "random_pairs",
    "score_pairs",
    "tf_tables",
    "validate_model",
    "validate_settings",
]

__version__: str
REVISION: int

@final
class ArrowArray:
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    def __len__(self) -> int: ...

@final
class ArrowTable:
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    @property
    def num_rows(self) -> int: ...
    def __len__(self) -> int: ...

@final
class Run:
    @property
    def clusters(self) -> ArrowTable: ...
    @property
    def pairs(self) -> ArrowTable: ...
    @property
    def model_json(self) -> str: ...
    @property
    def report_json(self) -> str: ...
    def explain(self, a: int, b: int) -> ArrowTable: ...

def dedupe(
    data: object,
    settings_json: str,
    *,
    id_column: str | None = None,
    model_json: str | None = None,
    threads: int | None = None,
    progress: Callable[[str, int, int], object] | None = None,
    must_link: object | None = None,
    cannot_link: object | None = None,
    tf_tables: object | None = None,
) -> Run: ...
def link(
    left: object,
    right: object,
    settings_json: str,
    *,
    id_column: str | None = None,
    model_json: str | None = None,
    threads: int | None = None,
    progress: Callable[[str, int, int], object] | None = None,
    must_link: object | None = None,
    cannot_link: object | None = None,
    tf_tables: object | None = None,
) -> Run: ...
def cluster(
    ids: object,
    pairs: object,
    *,
    id_column: str,
    left: str | None = None,
    right: str | None = None,
    probability: str = "match_probability",
    method: Literal["guarded", "connected_components"] = "guarded",
    guard: float = 0.999,
    must_link: object | None = None,
    cannot_link: object | None = None,
    threads: int | None = None,
) -> ArrowTable: ...
def tf_tables(
    data: object,
    settings_json: str,
    *,
    right: object | None = None,
    threads: int | None = None,
) -> ArrowTable: ...
def blocking_keys(
    data: object,
    settings_json: str,
    *,
    id_column: str,
    threads: int | None = None,
) -> ArrowTable: ...
def score_pairs(
    data: object,
    pairs: object,
    settings_json: str,
    model_json: str,
    *,
    id_column: str,
    left: str | None = None,
    right: str | None = None,
    tf_tables: object | None = None,
    threads: int | None = None,
    right_data: object | None = None,
) -> ArrowTable: ...
def pattern_histogram(
    data: object,
    pairs: object,
    settings_json: str,
    *,
    id_column: str,
    left: str | None = None,
    right: str | None = None,
    threads: int | None = None,
    right_data: object | None = None,
) -> ArrowTable: ...
def random_pairs(
    n_records: int,
    settings_json: str,
    *,
    n_left: int | None = None,
) -> ArrowTable: ...
def fit_from_histograms(
    candidates: object,
    random: object,
    settings_json: str,
    *,
    n_records: int,
    n_left: int | None = None,
) -> str: ...
def candidate_changes(
    keys: object,
    settings_json: str,
    *,
    id_column: str,
    status: str = "status",
) -> ArrowTable: ...
def validate_settings(settings_json: str) -> None: ...
def validate_model(model_json: str, settings_json: str | None = None) -> None: ...
def normalize_columns(
    data: object,
    columns_json: str,
    *,
    default_region: str = "FR",
    region_column: str | None = None,
    email_provider_rules: bool = False,
    threads: int | None = None,
) -> ArrowTable: ...
def profile_columns(
    data: object,
    columns_json: str,
    *,
    default_region: str = "FR",
    region_column: str | None = None,
    email_provider_rules: bool = False,
    threads: int | None = None,
) -> str: ...
def canonical_contact_points(
    values: object,
    kind: str,
    *,
    default_region: str = "FR",
    regions: object | None = None,
    email_provider_rules: bool = False,
) -> ArrowArray: ...
