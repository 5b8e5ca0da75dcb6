"""The BERT graph of the setup's model build (``build_model``), written as ONNX ops straight
from the package's safetensors weights with numpy: no PyTorch."""

from __future__ import annotations

import json
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np


def read_config(model_dir: Path) -> dict[str, Any]:
    """The package's config.json, refused unless it describes the BERT that bert_graph writes."""
    config = json.loads((model_dir / "config.json").read_text())
    expected = {"model_type": "bert", "hidden_act": "gelu", "position_embedding_type": "absolute"}
    wrong = {k: config.get(k) for k, v in expected.items() if config.get(k, v) != v}
    if wrong or config["hidden_size"] % config["num_attention_heads"]:
        raise RuntimeError(f"{model_dir / 'config.json'}: not a BERT this build supports: {wrong}")
    return config


class _Graph:
    """Nodes and initializers of an ONNX graph under construction; each op returns its output."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._ids = count()

    def const(self, name: str, value: Any, dtype: Any = np.float32) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, scope: str, op_type: str, *inputs: str, **attrs: Any) -> str:
        from onnx import helper

        name = f"{scope}/{op_type}_{next(self._ids)}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [name], name=name, **attrs))
        return name


def bert_graph(model_dir: Path, opset: int, model_name: str, source: str) -> Any:
    """BERT + masked mean pooling + L2 normalisation as one ONNX graph, from the package's
    config.json and model.safetensors: inputs input_ids and attention_mask (int64, batch x
    tokens), output embedding (float, batch x hidden). ``model_name`` names the graph, ``source``
    the package its weights came from.

    The ops are those torch.onnx exported for transformers' BertModel before 5.0 (MatMul + Add
    per linear layer, scores divided by sqrt(head size), additive mask, erf GELU,
    LayerNormalization), in that order, because onnxruntime's BERT fusions match exactly those
    patterns.
    """
    from onnx import TensorProto, helper
    from safetensors.numpy import load_file

    config = read_config(model_dir)
    weights = load_file(str(model_dir / "model.safetensors"))
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    head_size = hidden // heads
    eps = config["layer_norm_eps"]
    g = _Graph()

    def weight(name: str) -> str:
        return g.const(name, weights[name])

    def linear(scope: str, x: str, layer: str) -> str:
        # torch keeps (out, in) matrices; MatMul wants (in, out).
        w = g.const(f"{layer}.weight", np.ascontiguousarray(weights[f"{layer}.weight"].T))
        return g.op(scope, "Add", g.op(scope, "MatMul", x, w), weight(f"{layer}.bias"))

    def layer_norm(scope: str, x: str, layer: str) -> str:
        gamma, beta = weight(f"{layer}.weight"), weight(f"{layer}.bias")
        return g.op(scope, "LayerNormalization", x, gamma, beta, axis=-1, epsilon=eps)

    i64 = np.int64
    ax0, ax1, ax2 = (g.const(f"axes_{a}", [a], i64) for a in (0, 1, 2))
    one = g.const("one", 1.0)

    # Embeddings: word + position (0..T-1) + token type 0.
    scope = "embeddings"
    shape = g.op(scope, "Shape", "input_ids")
    length = g.op(scope, "Unsqueeze", g.op(scope, "Gather", shape, g.const("index_1", 1, i64)), ax0)
    positions = g.const("position_ids", np.arange(config["max_position_embeddings"])[None], i64)
    position_ids = g.op(scope, "Slice", positions, ax0, length, ax1, ax1)
    zeros = helper.make_tensor("zeros", TensorProto.INT64, [1], [0])
    token_type_ids = g.op(scope, "ConstantOfShape", shape, value=zeros)
    words = g.op(scope, "Gather", weight("embeddings.word_embeddings.weight"), "input_ids")
    types = g.op(scope, "Gather", weight("embeddings.token_type_embeddings.weight"), token_type_ids)
    places = g.op(scope, "Gather", weight("embeddings.position_embeddings.weight"), position_ids)
    summed = g.op(scope, "Add", g.op(scope, "Add", words, types), places)
    x = layer_norm(scope, summed, "embeddings.LayerNorm")

    # Additive mask (batch, 1, 1, tokens): 0 for tokens, -10000 for padding, BERT's original
    # value and the fusion's default. After softmax padding weighs exactly 0 in float32, as with
    # the float32 minimum PyTorch adds.
    scope = "mask"
    mask = g.op(scope, "Unsqueeze", g.op(scope, "Unsqueeze", "attention_mask", ax1), ax2)
    mask = g.op(scope, "Cast", mask, to=TensorProto.FLOAT)
    mask_bias = g.op(scope, "Mul", g.op(scope, "Sub", one, mask), g.const("mask_value", -10000.0))

    split_heads = g.const("split_heads", [0, 0, heads, head_size], i64)
    merge_heads = g.const("merge_heads", [0, 0, hidden], i64)
    # Divided, not multiplied, by sqrt(head size): the fusion takes the first Mul above the
    # mask's Add for the mask.
    sqrt_head = g.const("sqrt_head_size", np.sqrt(head_size))
    sqrt2, half = g.const("sqrt2", np.sqrt(2.0)), g.const("half", 0.5)

    def per_head(scope: str, x: str, layer: str, perm: list[int]) -> str:
        projected = g.op(scope, "Reshape", linear(scope, x, layer), split_heads)
        return g.op(scope, "Transpose", projected, perm=perm)

    for i in range(config["num_hidden_layers"]):
        prefix = f"encoder.layer.{i}"
        scope = f"{prefix}.attention"
        q = per_head(scope, x, f"{prefix}.attention.self.query", [0, 2, 1, 3])
        k = per_head(scope, x, f"{prefix}.attention.self.key", [0, 2, 3, 1])  # transposed
        v = per_head(scope, x, f"{prefix}.attention.self.value", [0, 2, 1, 3])
        scores = g.op(scope, "Div", g.op(scope, "MatMul", q, k), sqrt_head)
        scores = g.op(scope, "Add", scores, mask_bias)
        context = g.op(scope, "MatMul", g.op(scope, "Softmax", scores, axis=-1), v)
        context = g.op(scope, "Transpose", context, perm=[0, 2, 1, 3])
        context = g.op(scope, "Reshape", context, merge_heads)
        out = linear(scope, context, f"{prefix}.attention.output.dense")
        x = layer_norm(scope, g.op(scope, "Add", out, x), f"{prefix}.attention.output.LayerNorm")

        scope = f"{prefix}.ffn"
        h = linear(scope, x, f"{prefix}.intermediate.dense")
        # Exact GELU, h * 0.5 * (1 + erf(h / sqrt 2)), in the order the GELU fusion matches.
        erf = g.op(scope, "Add", g.op(scope, "Erf", g.op(scope, "Div", h, sqrt2)), one)
        h = g.op(scope, "Mul", g.op(scope, "Mul", h, erf), half)
        out = linear(scope, h, f"{prefix}.output.dense")
        x = layer_norm(scope, g.op(scope, "Add", out, x), f"{prefix}.output.LayerNorm")

    # Mean over real tokens, then unit length (sentence-transformers' Pooling + Normalize).
    scope = "pooling"
    last = g.const("axes_-1", [-1], i64)
    real = g.op(
        scope, "Cast", g.op(scope, "Unsqueeze", "attention_mask", last), to=TensorProto.FLOAT
    )
    total = g.op(scope, "ReduceSum", g.op(scope, "Mul", x, real), ax1, keepdims=0)
    counted = g.op(scope, "ReduceSum", real, ax1, keepdims=0)
    mean = g.op(scope, "Div", total, g.op(scope, "Clip", counted, g.const("min_count", 1e-9)))
    norm = g.op(scope, "ReduceL2", mean, axes=[-1], keepdims=1)
    norm = g.op(scope, "Clip", norm, g.const("min_norm", 1e-12))
    g.nodes.append(helper.make_node("Div", [mean, norm], ["embedding"], name="pooling/normalise"))

    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
        for name in ("input_ids", "attention_mask")
    ]
    output = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])
    graph = helper.make_graph(g.nodes, model_name, inputs, [output], g.initializers)
    # IR 8: what opset 17 needs, and what every onnxruntime since 1.10 reads.
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset)],
        ir_version=8,
        doc_string=f"written by dailypapers.search.setup.build_model from {source}",
    )
