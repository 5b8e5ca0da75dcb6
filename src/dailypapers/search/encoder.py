"""Sentence embeddings at run time: an ONNX graph of all-MiniLM-L6-v2 run by onnxruntime.

Only onnxruntime, tokenizers and numpy are imported here. `python -m
dailypapers.search.build_model OUT_DIR` writes the files read below (model.onnx, tokenizer.json,
model.json) once, with onnx and numpy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "model.json"
DEFAULT_THREADS = 2  # the size of the production box
MAX_THREADS = 64
BUILD_HINT = "run `make setup` or `python -m dailypapers.search.build_model {path}`"


class BadSetting(ValueError):
    """A setting of the encoder (threads, max_tokens) has an unusable value."""


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


class Encoder:
    """L2-normalised sentence vectors from a model directory built by build_model."""

    name: str
    dim: int
    max_tokens: int

    def __init__(self, session, tokenizer, meta: dict, max_tokens: int) -> None:
        self._session = session
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
        import onnxruntime as ort
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
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # Idle threads would spin after each call, taking the cores from the vector scan
            # that follows a query's embedding.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(
                str(path / MODEL_FILE), options, providers=["CPUExecutionProvider"]
            )
            tokenizer.enable_truncation(max_tokens)
            return cls(session, tokenizer, meta, max_tokens)
        except BadSetting:
            raise  # say so, rather than "model unreadable"
        except Exception as exc:  # onnxruntime and tokenizers raise their own types
            raise ModelUnavailable(
                f"embedding model in {path} is unreadable ({exc}); {hint}"
            ) from exc

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Vectors (len(texts), dim), float32, unit length, in the order of `texts`.

        Texts are tokenised at once, sorted by length and run in batches, so each batch is
        padded only to its own longest text (padding costs as much as real tokens). A dynamically
        quantised graph picks one int8 scale per tensor, i.e. per batch, so a text's vector would
        depend on its batch mates; such models run one text per call (as fast: at 100+ tokens a
        text is already a full-sized matrix product).
        """
        if not self.meta.get("batch_invariant", True):
            batch_size = 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            ids = np.zeros((len(rows), int(lengths[rows].max())), dtype=np.int64)
            mask = np.zeros_like(ids)
            for i, row in enumerate(rows):
                ids[i, : lengths[row]] = encodings[row].ids
                mask[i, : lengths[row]] = 1
            (vectors,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
            out[rows] = vectors
        # The graph normalises already; again here so callers can rely on it exactly.
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)
