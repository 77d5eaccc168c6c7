"""A fitted Fellegi-Sunter model: load, save, inspect and reuse it across runs."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import polars as pl

from crmdedup import _core
from crmdedup._textfile import read_text
from crmdedup.errors import ConfigError

__all__ = ["Model", "probability_of", "weight_of"]


def weight_of(probability: float) -> float:
    """The match weight (log2 Bayes factor) of a match probability in (0, 1)."""
    return math.log2(probability / (1 - probability))


def probability_of(weight: float) -> float:
    """The match probability of a match weight (the inverse of :func:`weight_of`)."""
    return 1 / (1 + 2**-weight)


class Model:
    """A fitted Fellegi-Sunter model: m and u per comparison level, and the prior.

    Train once, score many times: ``dedupe(data, settings, model=Model.load(path))``.
    """

    def __init__(self, json_text: str) -> None:
        """Read a model from its JSON text (:meth:`to_json`).

        Raises
        ------
        ConfigError
            When the text is not a valid model: the message names the bad value's JSON path,
            e.g. ``comparisons[2].m[1]``.
        """
        if not isinstance(json_text, str):
            raise ConfigError(f"a model is read from JSON text, got {type(json_text).__name__}")
        _core.validate_model(json_text)
        self._json = json_text
        self._data: dict[str, Any] = json.loads(json_text)

    @property
    def prior(self) -> float:
        """Probability that a candidate pair is a match before looking at it."""
        return float(self._data["prior"])

    @property
    def fit_report(self) -> dict[str, Any]:
        """How fitting went: pairs sampled for u, EM iterations and convergence per rule."""
        return dict(self._data["fit"])

    def parameters(self) -> pl.DataFrame:
        """Fitted parameters, one row per comparison level.

        Columns: ``comparison``, ``level``, ``label``, ``m``, ``u``, ``weight`` (log2 of m/u).
        ``u`` is over all candidate pairs; each set of blocking rules a pair satisfies also has
        its own u (``set_u`` in the JSON), which its pairs are scored with: ``explain()`` shows
        the weights a pair actually got.
        """
        rows = [
            {
                "comparison": c["name"],
                "level": i,
                "label": label,
                "m": c["m"][i],
                "u": c["u"][i],
            }
            for c in self._data["comparisons"]
            for i, label in enumerate(c["levels"])
        ]
        floor = 1e-7
        return pl.DataFrame(rows).with_columns(
            (pl.col("m").clip(lower_bound=floor) / pl.col("u").clip(lower_bound=floor))
            .log(2)
            .alias("weight")
        )

    def to_json(self) -> str:
        """The model as JSON."""
        return self._json

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model as JSON to ``path`` (atomically: a reader never sees half a model).

        Raises
        ------
        CrmdedupError
            When ``path`` is a directory or cannot be written.
        """
        from crmdedup._files import atomic_write_text, check_writable_file

        check_writable_file(path, what="model file")
        atomic_write_text(path, self._json)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read a model saved by :meth:`save`.

        Raises
        ------
        ConfigError
            When the file is missing or is not a model.
        """
        p = Path(path)
        try:
            text = read_text(p, what="model file", expected="a JSON file")
        except UnicodeDecodeError:
            raise ConfigError(f"model file `{p}` is not a crmdedup model: not UTF-8 text") from None
        except OSError as e:
            raise ConfigError(f"cannot read model file `{p}`: {e.strerror}") from None
        try:
            return cls(text)
        except ConfigError as e:
            raise ConfigError(f"model file `{p}` is not a crmdedup model: {e}") from None

    def __repr__(self) -> str:
        names = [c["name"] for c in self._data["comparisons"]]
        return f"Model(prior={self.prior:.4g}, comparisons={names})"
