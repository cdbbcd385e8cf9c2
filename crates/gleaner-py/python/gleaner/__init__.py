"""gleaner: clean, deduplicate and quality-filter text corpora with a Rust engine.

The same engine as the ``gleaner`` command line, from Python:

* :class:`Pipeline` loads a pipeline file (``Pipeline.from_toml``) or builds one from stage
  tables (``Pipeline.from_stages``); ``run`` processes files like ``gleaner run`` and
  ``process`` applies the pipeline to an in-memory ``pyarrow.Table``, returning kept and removed
  tables.
* :func:`minhash_signatures` and :func:`minhash_band_keys` compute what the ``minhash_dedup``
  stage computes, as Arrow arrays; :func:`exact_hashes` what ``exact_dedup`` hashes.
* :mod:`gleaner.ray` runs a pipeline on a Ray cluster with the same result as ``gleaner run``.

Every error is a :class:`GleanerError` (``ConfigError``, ``InputError``, ``OutputError``) with the
message the CLI prints. Rust work releases the GIL.
"""

from ._gleaner import (
    ConfigError,
    GleanerError,
    InputError,
    OutputError,
    Pipeline,
    __version__,
    exact_hashes,
    expand_inputs,
    minhash_band_keys,
    minhash_signatures,
    read_file,
    stage_types,
)

__all__ = [
    "ConfigError",
    "GleanerError",
    "InputError",
    "OutputError",
    "Pipeline",
    "__version__",
    "exact_hashes",
    "expand_inputs",
    "minhash_band_keys",
    "minhash_signatures",
    "read_file",
    "stage_types",
]
