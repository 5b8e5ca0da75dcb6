"""Sentence embeddings at run time: an ONNX graph of all-MiniLM-L6-v2 run by onnxruntime.

Only onnxruntime, tokenizers and numpy are imported here. At setup, `python -m
dailypapers.search.setup.build_model OUT_DIR` writes the files read below (model.onnx,
tokenizer.json, model.json) once, with onnx and numpy.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "model.json"
DEFAULT_THREADS = 2  # the size of the production box
MAX_THREADS = 64
# onnxruntime graph optimisations the encoder turns off (see build_model.fuse).
UNFUSED = ["SkipLayerNormFusion"]
BUILD_HINT = "run `make setup` or `python -m dailypapers.search.setup.build_model {path}`"


class BadSetting(ValueError):
    """A setting of the encoder (threads, workers, max_tokens) has an unusable value."""


class ModelUnavailable(Exception):
    """The embedding model files are missing or unreadable; the message says how to build them."""


def paper_text(title: str, abstract: str) -> str:
    """The text embedded for a paper: its title, then its abstract, whitespace collapsed."""
    title, abstract = " ".join(title.split()), " ".join(abstract.split())
    if title and abstract:
        return f"{title}{' ' if title[-1] in '.?!:' else '. '}{abstract}"
    return title or abstract


def _whole_number(name: str, value: object, most: int) -> int:
    # bool is an int to Python, never a thread count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadSetting(f"{name} must be a whole number, not {value!r}")
    if not 1 <= value <= most:
        raise BadSetting(f"{name} must be between 1 and {most}, not {value}")
    return value


def open_session(model: Path, threads: int, optimized_to: Path | None = None) -> Any:
    """An onnxruntime session of `model` as the encoder runs it, on `threads` intra-op
    threads; `optimized_to` also writes the graph it runs, after onnxruntime's optimisations
    (for tests)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle threads would spin after each call, taking the cores from the vector scan that
    # follows a query's embedding.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if optimized_to is not None:
        options.optimized_model_filepath = str(optimized_to)
    return ort.InferenceSession(
        str(model),
        options,
        providers=["CPUExecutionProvider"],
        # Residual Add + LayerNormalization stay apart: onnxruntime's CPU
        # SkipLayerNormalization kernel takes 7x as long (see build_model.fuse).
        disabled_optimizers=UNFUSED,
    )


class Encoder:
    """L2-normalised sentence vectors from a model directory built by build_model."""

    name: str
    dim: int
    max_tokens: int

    def __init__(
        self,
        session,
        tokenizer,
        meta: dict,
        max_tokens: int,
        new_session: Callable[[], Any] | None = None,
    ) -> None:
        self._session = session
        # More sessions of the same model, one per worker beyond the first: calls at once on
        # one session contend for its memory arena (2 workers: 124 abstracts/s, against 141
        # with a session each, as fast as 2 processes).
        self._new_session = new_session
        self._free: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._free.put(session)
        self._sessions = 1
        self._sessions_lock = threading.Lock()
        self._tokenizer = tokenizer
        self.meta = meta
        self.name, self.dim = meta["name"], int(meta["dim"])
        self.max_tokens = max_tokens

    @classmethod
    def load(
        cls, path: Path, threads: int = DEFAULT_THREADS, max_tokens: int | None = None
    ) -> Encoder:
        """Open the model in `path`, computing on `threads` intra-op threads and reading the
        first `max_tokens` tokens of each text (None: the model's own, model.json's max_tokens).

        The graph takes any length up to the model's positions (512). 256 (sentence-transformers'
        default, and the build's) keeps SciFact quality; the model's training length, 128, is
        about twice as fast and 0.025 nDCG@10 lower (bench/embed_throughput.py).
        BadSetting (a ValueError) for an unusable number, ModelUnavailable if the model is
        missing or corrupt.
        """
        from tokenizers import Tokenizer

        threads = _whole_number("threads", threads, MAX_THREADS)
        path = Path(path)
        hint = BUILD_HINT.format(path=path)
        missing = [f for f in (META_FILE, MODEL_FILE, TOKENIZER_FILE) if not (path / f).is_file()]
        if missing:
            raise ModelUnavailable(
                f"embedding model not found in {path} (missing {', '.join(missing)}); {hint}"
            )
        try:
            meta = json.loads((path / META_FILE).read_text())
            if max_tokens is None:
                max_tokens = int(meta["max_tokens"])
            else:  # at most the graph's positions, which only the model knows
                max_tokens = _whole_number("max_tokens", max_tokens, int(meta["max_positions"]))
            tokenizer = Tokenizer.from_file(str(path / TOKENIZER_FILE))
            # The tokenizer only truncates; encode() pads each length-sorted batch itself.
            tokenizer.no_padding()
            session = open_session(path / MODEL_FILE, threads)
            tokenizer.enable_truncation(max_tokens)
            return cls(
                session,
                tokenizer,
                meta,
                max_tokens,
                new_session=lambda: open_session(path / MODEL_FILE, threads),
            )
        except BadSetting:
            raise  # say so, rather than "model unreadable"
        except Exception as exc:  # onnxruntime and tokenizers raise their own types
            raise ModelUnavailable(
                f"embedding model in {path} is unreadable ({exc}); {hint}"
            ) from exc

    def encode(self, texts: Sequence[str], batch_size: int = 32, workers: int = 1) -> np.ndarray:
        """Vectors (len(texts), dim), float32, unit length, in the order of `texts`.

        Texts are tokenised at once, sorted by length and run in batches, so each batch is
        padded only to its own longest text (padding costs as much as real tokens). A dynamically
        quantised graph picks one int8 scale per tensor, i.e. per batch, so a text's vector would
        depend on its batch mates; such models run one text per call (as fast: at 100+ tokens a
        text is already a full-sized matrix product, and on 2 cores batches of 2 to 32 cost 2 to
        15% more CPU per text than one text per call, float or int8: bench/embed_throughput.py).

        `workers` > 1 runs that many calls at once, on threads of this process (onnxruntime
        computes without holding the GIL). For an encoder loaded with threads=1 that is one
        core per call, which embeds abstracts about 1.3x as fast on 2 cores as one call at a
        time on 2 intra-op threads: one text is too small a product to split well across cores.
        Interrupted (Ctrl-C), the calls not yet started are dropped and the running ones, a
        fraction of a second each, finish before the exception goes on.
        """
        if not self.meta.get("batch_invariant", True):
            batch_size = 1
        workers = _whole_number("workers", workers, MAX_THREADS)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        if batch_size == 1 and workers > 1:
            # No padding to save: each task tokenises its own few texts, so that tokenising
            # (5% of the time) overlaps the other workers' calls instead of preceding them.
            tasks: list[Sequence[int]] = [
                range(start, min(start + 8, len(texts))) for start in range(0, len(texts), 8)
            ]

            def task(rows: Sequence[int]) -> None:
                encodings = self._tokenizer.encode_batch([texts[i] for i in rows])
                with self._session_of_thread() as session:
                    for row, encoding in zip(rows, encodings, strict=True):
                        self._run(session, [row], [encoding.ids], out)

        else:
            encodings = self._tokenizer.encode_batch(list(texts))
            order = np.argsort([len(e.ids) for e in encodings], kind="stable").tolist()
            tasks = [
                order[start : start + batch_size] for start in range(0, len(order), batch_size)
            ]

            def task(rows: Sequence[int]) -> None:
                with self._session_of_thread() as session:
                    self._run(session, rows, [encodings[row].ids for row in rows], out)

        workers = min(workers, len(tasks))
        if workers == 1:
            for rows in tasks:
                task(rows)
        else:
            self._have_sessions(workers)
            pool = ThreadPoolExecutor(workers, thread_name_prefix="encode")
            try:
                for future in [pool.submit(task, rows) for rows in tasks]:
                    future.result()
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        # The graph normalises already; again here so callers can rely on it exactly.
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def _have_sessions(self, n: int) -> None:
        """At least n sessions (opened once, then kept)."""
        with self._sessions_lock:
            while self._sessions < n and self._new_session is not None:
                self._free.put(self._new_session())
                self._sessions += 1

    @contextlib.contextmanager
    def _session_of_thread(self) -> Iterator[Any]:
        """A session no other call is using, for the task's duration; if all are busy (calls
        from more threads than sessions), the first one, which may run several at once."""
        try:
            session = self._free.get_nowait()
        except queue.Empty:
            yield self._session
            return
        try:
            yield session
        finally:
            self._free.put(session)

    def _run(
        self, session: Any, rows: Sequence[int], ids_of: list[list[int]], out: np.ndarray
    ) -> None:
        """One call: the texts whose token ids are `ids_of`, padded to the longest, into
        `out[rows]` (distinct rows per call, so several threads may fill one `out`)."""
        ids = np.zeros((len(ids_of), max(len(i) for i in ids_of)), dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, row_ids in enumerate(ids_of):
            ids[i, : len(row_ids)] = row_ids
            mask[i, : len(row_ids)] = 1
        (vectors,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
        out[list(rows)] = vectors
