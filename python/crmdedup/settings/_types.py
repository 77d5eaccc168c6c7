"""The option values of settings, as literal types shared by the spec and its checks."""

from __future__ import annotations

from typing import Literal

__all__ = ["ClusterMethod", "Method", "Normalizer"]

Method = Literal[
    "exact", "jaro_winkler", "levenshtein", "damerau_levenshtein", "token_jaccard", "name", "date"
]
Normalizer = Literal[
    "raw",
    "text",
    "name",
    "email",
    "phone",
    "company",
    "address",
    "postcode",
    "date",
    "identifier",
    "country",
]
ClusterMethod = Literal["connected_components", "guarded"]
