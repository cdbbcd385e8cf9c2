"""Type stubs for the Rust extension module ``gleaner._gleaner``."""

from os import PathLike
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import pyarrow as pa

_Path = Union[str, PathLike]
_Tabular = Union[pa.Table, pa.RecordBatch]

__version__: str

class GleanerError(Exception):
    """Base class of every error gleaner raises; the message is the one the CLI prints."""

class ConfigError(GleanerError):
    """The pipeline or a stage's parameters are wrong."""

class InputError(GleanerError):
    """Input paths matched nothing, nothing could be read, or a batch lacks a needed column."""

class OutputError(GleanerError):
    """The output directory holds a different run, or another run is writing into it."""

class Pipeline:
    """A gleaner pipeline: stages in order, built and checked when created. Picklable."""

    @staticmethod
    def from_toml(path: _Path) -> "Pipeline":
        """Loads a pipeline file; relative paths resolve against the file's directory."""
    @staticmethod
    def from_toml_string(text: str, base_dir: Optional[_Path] = None) -> "Pipeline":
        """Parses pipeline TOML; relative paths resolve against ``base_dir`` (default ``.``)."""
    @staticmethod
    def from_stages(stages: Sequence[Mapping[str, Any]]) -> "Pipeline":
        """Builds a pipeline from ``[[stage]]``-style dicts: ``type``, optional ``name``, params."""
    @property
    def stages(self) -> List[Dict[str, Any]]:
        """The stage tables in order (paths resolved)."""
    @property
    def corpus_stages(self) -> List[str]:
        """Names of the stages that need the whole corpus (dedup), in order."""
    def to_toml(self) -> str:
        """The pipeline as TOML text."""
    def run(
        self,
        input: Optional[Union[_Path, Sequence[_Path]]] = None,
        output: Optional[_Path] = None,
        threads: Optional[int] = None,
        memory: Optional[Union[int, str]] = None,
        overwrite: bool = False,
    ) -> Dict[str, Any]:
        """Runs like ``gleaner run``; returns the content of ``stats.json``."""
    def plan(
        self,
        input: Optional[Union[_Path, Sequence[_Path]]] = None,
        output: Optional[_Path] = None,
        threads: Optional[int] = None,
        memory: Optional[Union[int, str]] = None,
        overwrite: bool = False,
        listed_inputs: Optional[Sequence[Tuple[_Path, int]]] = None,
    ) -> "RunPlan":
        """Plans a run as ``run`` would, for a driver that runs the steps (locks the output)."""
    def process(
        self,
        table: _Tabular,
        text_column: str = "text",
        id_column: str = "id",
        threads: Optional[int] = None,
        with_edits: bool = False,
    ) -> Tuple[pa.Table, pa.Table]:
        """Applies the pipeline to an Arrow table; returns ``(kept, removed)`` tables."""

def minhash_signatures(table: _Tabular, text_column: str = "text", **params: Any) -> pa.Array:
    """MinHash signatures (fixed_size_list<uint64>) as the ``minhash_dedup`` stage computes them."""

def minhash_band_keys(table: _Tabular, text_column: str = "text", **params: Any) -> pa.Array:
    """LSH band keys (fixed_size_list<uint64>, one per band) as ``minhash_dedup`` computes them."""

def exact_hashes(table: _Tabular, text_column: str = "text", **params: Any) -> pa.Array:
    """The ``exact_dedup`` stage's xxh3-128 text hash per row, as fixed_size_list<uint64>[2]."""

def read_file(
    path: _Path, file_index: int = 0, text_field: str = "text", id_field: str = "id"
) -> Tuple[pa.Table, List[str]]:
    """Reads one input file like ``gleaner run``: ``(table with id/text/metadata/_position, rejects)``."""

def expand_inputs(paths: Sequence[_Path]) -> List[str]:
    """The sorted input file list ``gleaner run`` reads for these paths."""

def stage_types() -> Dict[str, str]:
    """Every stage type gleaner knows, with a one-line summary."""

class RunPlan:
    """A planned run held by its driver: the plan and the output directory's lock."""

    @property
    def inputs(self) -> List[Tuple[str, int]]:
        """Input files in input order, as ``(path, size)``."""
    @property
    def passes(self) -> int:
        """Number of passes."""
    @property
    def pass_stages(self) -> List[List[str]]:
        """Stage names of each pass."""
    @property
    def out_dir(self) -> str:
        """The output directory."""
    @property
    def writes_report(self) -> bool:
        """Whether publishing writes ``report.html`` (which reads the shards back)."""
    def pass_starts_with_corpus_stage(self, pass_index: int) -> bool:
        """Whether the pass's corpus stage must be finished before its files run."""
    def corpus_stage_dir(self, pass_index: int) -> Optional[str]:
        """Work directory of the corpus stage the pass starts with, relative to the output."""
    def carried_path(self, pass_index: int, file: int) -> str:
        """The shard the pass carries for the file, relative to the output directory."""
    def receipt_path(self, pass_index: int, file: Optional[int] = None) -> str:
        """Receipt of an uploaded step (a file's pass, or the pass's corpus stage finish)."""
    def to_json(self) -> str:
        """The plan as JSON, for ``Steps`` in other processes."""
    def publish(self, timing: Optional[str] = None) -> Dict[str, Any]:
        """Writes the final files, releases the lock, returns ``stats.json``'s content."""
    def release(self) -> None:
        """Releases the lock without publishing."""

class Steps:
    """The steps of a plan (JSON), run in this process."""

    def __init__(self, plan_json: str, out_dir: Optional[_Path] = None) -> None: ...
    def finish_corpus_stage(self, pass_index: int, threads: int = 1) -> None:
        """Finishes (or loads) the corpus stage the pass starts with."""
    def process_file(
        self, pass_index: int, file: int, read_from: Optional[_Path] = None, threads: int = 1
    ) -> Dict[str, Any]:
        """One input file's pass and the next corpus stage's scan; ``{stats, resumed}``."""

def output_layout() -> Dict[str, Any]:
    """Names of the output layout: ``work_dir``, ``state_file``, ``run_file``, ``lock_file``,
    ``entries``, ``shard_dirs``."""
