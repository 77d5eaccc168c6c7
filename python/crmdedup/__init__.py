"""crmdedup: deduplication and record linkage for CRM contacts.

A Rust core normalises, blocks, scores (Fellegi-Sunter, fitted without labels) and clusters;
Python gets polars DataFrames and merges them with consent-preserving policies.

Examples
--------
>>> import crmdedup
>>> result = crmdedup.dedupe(crmdedup.datasets.load_sample(), id_column="record_id")
>>> sorted(result.clusters.columns)
['cluster_id', 'cluster_size', 'record_id']
"""

from crmdedup import datasets
from crmdedup._core import __version__
from crmdedup.api import (
    DedupeResult,
    LinkResult,
    Model,
    ProgressCallback,
    dedupe,
    infer_settings,
    link,
)
from crmdedup.base import Base, BaseError
from crmdedup.cluster import cluster
from crmdedup.consent import canonical_contact_point, consents_from_columns
from crmdedup.errors import ConfigError, CrmdedupError, SchemaError
from crmdedup.evaluate import Evaluation, evaluate
from crmdedup.inspect import normalize, profile
from crmdedup.kernels import (
    blocking_keys,
    candidate_changes,
    fit_from_histograms,
    pattern_histogram,
    random_pairs,
    score_pairs,
)
from crmdedup.merge import MergePolicy, MergeResult, merge
from crmdedup.rights import erasure_plan, subject_export
from crmdedup.settings import BlockingRule, Comparison, EmSettings, Settings
from crmdedup.term_frequency import tf_tables

__all__ = [
    "Base",
    "BaseError",
    "BlockingRule",
    "Comparison",
    "ConfigError",
    "CrmdedupError",
    "DedupeResult",
    "EmSettings",
    "Evaluation",
    "LinkResult",
    "MergePolicy",
    "MergeResult",
    "Model",
    "ProgressCallback",
    "SchemaError",
    "Settings",
    "__version__",
    "blocking_keys",
    "candidate_changes",
    "canonical_contact_point",
    "cluster",
    "consents_from_columns",
    "datasets",
    "dedupe",
    "erasure_plan",
    "evaluate",
    "fit_from_histograms",
    "infer_settings",
    "link",
    "merge",
    "normalize",
    "pattern_histogram",
    "profile",
    "random_pairs",
    "score_pairs",
    "subject_export",
    "tf_tables",
]
