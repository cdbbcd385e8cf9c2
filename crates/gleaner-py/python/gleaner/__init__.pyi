"""Type stubs for the ``gleaner`` package (re-exports of ``gleaner._gleaner``)."""

from ._gleaner import (
    ConfigError as ConfigError,
    GleanerError as GleanerError,
    InputError as InputError,
    OutputError as OutputError,
    Pipeline as Pipeline,
    __version__ as __version__,
    exact_hashes as exact_hashes,
    expand_inputs as expand_inputs,
    minhash_band_keys as minhash_band_keys,
    minhash_signatures as minhash_signatures,
    read_file as read_file,
    stage_types as stage_types,
)
