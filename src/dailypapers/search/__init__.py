# onnxruntime must be loaded before usearch (imported by vectors.py): the other way round,
# onnxruntime's native library crashes the process as it loads (usearch 2.26.6, onnxruntime
# 1.32.0). tests/search/test_search.py checks that importing vectors first is safe.
import onnxruntime  # noqa: F401
