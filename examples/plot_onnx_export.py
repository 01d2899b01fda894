"""
Exporting a model to ONNX and serving it with onnxruntime
==========================================================

`ONNX <https://onnx.ai>`__ is a file format for trained models that runtimes
in many languages execute without Python or scikit-learn. Importing
:mod:`skbpnet.onnx` teaches `skl2onnx <https://onnx.ai/sklearn-onnx/>`__ to
convert :class:`~skbpnet.BPNetClassifier` and
:class:`~skbpnet.BPNetRegressor`, alone or inside a pipeline. This example
trains a small network on scikit-learn's 8x8 digits, exports the whole
pipeline, serves it with onnxruntime and checks that it predicts what
scikit-learn predicts. It needs ``pip install "skbpnet[onnx]"``.
"""

# %%
# Train a pipeline
# ----------------
# float32 features train a float32 network; the exported graph then computes
# in float32 too.
import time

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skbpnet.onnx  # noqa: F401  (registers the converters with skl2onnx)
from skbpnet import BPNetClassifier

X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

pipe = make_pipeline(
    StandardScaler(),
    BPNetClassifier(hidden_layer_sizes=(64,), activation="gelu", learning_rate_init=0.01,
                    max_iter=200, early_stopping=True, random_state=0),
)
pipe.fit(X_train, y_train)
print(f"test accuracy: {pipe.score(X_test, y_test):.3f}")

# %%
# Export
# ------
# ``to_onnx`` reads the input's type and width from one sample. The option
# ``zipmap=False`` returns the probabilities as a matrix (by default
# skl2onnx wraps them in one dictionary per sample). ``onx`` is an ONNX
# ``ModelProto``; ``onx.SerializeToString()`` is what one would write to a
# ``.onnx`` file.
onx = to_onnx(pipe, X_train[:1], options={BPNetClassifier: {"zipmap": False}})
model_bytes = onx.SerializeToString()
print(f"ONNX model: {len(model_bytes) / 1024:.1f} KiB, "
      f"operators: {sorted({node.op_type for node in onx.graph.node})}")

# %%
# Serve with onnxruntime
# ----------------------
# The graph has one input, ``X``, and two outputs: the labels and the
# probabilities.
sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
print("inputs:", [(i.name, i.type, i.shape) for i in sess.get_inputs()])
print("outputs:", [(o.name, o.type, o.shape) for o in sess.get_outputs()])

tic = time.perf_counter()
labels, proba = sess.run(None, {"X": X_test})
onnx_seconds = time.perf_counter() - tic
tic = time.perf_counter()
expected_labels, expected_proba = pipe.predict(X_test), pipe.predict_proba(X_test)
sklearn_seconds = time.perf_counter() - tic

# %%
# Check that both agree
# ---------------------
# Labels agree exactly; probabilities agree to float32 rounding (the two
# libraries add up the same products in different orders).
diff = np.abs(proba - expected_proba).max()
print(f"labels equal: {np.array_equal(labels, expected_labels)}")
print(f"largest probability difference: {diff:.2e}")
print(f"{len(X_test)} samples: onnxruntime {onnx_seconds * 1e3:.2f} ms, "
      f"scikit-learn {sklearn_seconds * 1e3:.2f} ms")
assert np.array_equal(labels, expected_labels) and diff < 1e-5

# %%
# Some test digits with the label onnxruntime gives them and its
# probability for that label.
fig, axes = plt.subplots(2, 6, figsize=(8, 3.2))
for ax, image, label, p in zip(axes.ravel(), X_test, labels, proba):
    ax.imshow(image.reshape(8, 8), cmap="gray_r")
    ax.set_title(f"{label} ({p[label]:.2f})", fontsize=9)
    ax.set_axis_off()
fig.suptitle("onnxruntime's predictions")
fig.tight_layout()
plt.show()
