"""ONNX export of the estimators, through skl2onnx.

Importing this module registers a parser, a shape calculator and a converter
for :class:`~skbpnet.BPNetClassifier` and :class:`~skbpnet.BPNetRegressor`
with skl2onnx, after which ``skl2onnx.to_onnx`` converts them, alone or inside
a :class:`~sklearn.pipeline.Pipeline` (with a
:class:`~sklearn.compose.ColumnTransformer`, for example), like any
scikit-learn estimator. It needs skl2onnx and onnx
(``pip install "skbpnet[onnx]"``, which brings onnxruntime too);
``import skbpnet`` never imports them.

The converters read only the estimators' public description: ``coefs_``,
``intercepts_``, ``activation``, ``out_activation_``, ``classes_`` and
``n_outputs_``. The graph computes in the model's dtype (that of
``coefs_[0]``), whatever the input's type, as ``predict`` does; dropout is the
identity at inference and leaves nothing in the graph. The outputs have the
model's dtype for a float input and are float32 for an integer or boolean one,
skl2onnx's convention.

Outputs of a classifier: the labels (int64 or string; for a multilabel model
an int64 0/1 matrix) and the probabilities. With skl2onnx's default option
``zipmap=True`` the probabilities are a list of dictionaries of float32
(ONNX's ZipMap takes nothing else); with ``zipmap=False`` they are a matrix of
the model's dtype, equal to ``predict_proba``; with ``raw_scores=True`` (set by
skl2onnx's converters of CalibratedClassifierCV, OneVsRestClassifier,
BaggingClassifier and StackingClassifier where scikit-learn calls
``decision_function``) they are ``decision_function``, ``[-s, s]`` when binary.
Labels that ONNX's int64 cannot hold exactly are refused. A regressor gives
one output, ``variable``, of shape (n_samples, n_outputs), single-output models
included.

Examples
--------
>>> import numpy as np
>>> import onnxruntime as ort
>>> from skl2onnx import to_onnx
>>> from skbpnet import BPNetRegressor
>>> import skbpnet.onnx  # registers the converters
>>> X = np.random.RandomState(0).normal(size=(50, 3))
>>> reg = BPNetRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=500,
...                      random_state=0).fit(X, X.sum(axis=1))
>>> sess = ort.InferenceSession(to_onnx(reg, X[:1]).SerializeToString(),
...                             providers=["CPUExecutionProvider"])
>>> y = sess.run(None, {"X": X})[0]
>>> y.shape
(50, 1)
>>> bool(np.abs(y[:, 0] - reg.predict(X)).max() < 1e-12)
True
"""


import numpy as np

try:
    from onnx import TensorProto
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import (
        DictionaryType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        SequenceType,
        StringTensorType,
    )
    from sklearn.utils.validation import check_is_fitted
except ImportError as exc:  # pragma: no cover - exercised without skl2onnx only
    raise ImportError(
        "skbpnet.onnx needs skl2onnx and onnx, which are not installed. Install them "
        'with: pip install "skbpnet[onnx]"'
    ) from exc

from . import nn
from ._estimators import BPNetClassifier, BPNetRegressor
from .nn import numpy_dtype

__all__ = ["register_converters"]

CLASSIFIER_ALIAS = "SkbpnetBPNetClassifier"
REGRESSOR_ALIAS = "SkbpnetBPNetRegressor"

_PROTO = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}
_TENSOR_TYPE = {np.dtype(np.float32): FloatTensorType, np.dtype(np.float64): DoubleTensorType}


# -- the public description of a model ------------------------------------------------------
def _dtype(model):
    dtype = numpy_dtype(model.coefs_[0].dtype)
    if dtype not in _PROTO:
        raise NotImplementedError(f"Cannot export a model of dtype {dtype} to ONNX.")
    return dtype


def _is_multilabel(model):
    return model.out_activation_ == "logistic" and model.n_outputs_ > 1


def _class_labels(model):
    """The class labels as int64 or str, and whether they are strings.

    ONNX's integer labels are int64: labels it cannot hold exactly (uint64
    above 2**63 - 1, floats that are not integers) are refused, not wrapped.
    """
    if _is_multilabel(model):
        return np.arange(model.n_outputs_, dtype=np.int64), False
    classes = np.asarray(model.classes_)
    if classes.dtype.kind in "biuf":
        with np.errstate(invalid="ignore"):
            as_int = classes.astype(np.int64)
        # a cast that changes the value, or wraps a large uint64 around to a negative
        wrong = (as_int.astype(classes.dtype) != classes) | ((as_int < 0) & (classes > 0))
        if wrong.any():
            raise NotImplementedError(
                f"ONNX class labels are integers or strings, integers held as int64: the "
                f"classes {classes[wrong].tolist()} of this {type(model).__name__} cannot be "
                f"held exactly and would come out wrong. Refit it with labels that fit in int64 "
                f"(for example np.unique(y, return_inverse=True)[1]) or with string labels."
            )
        return as_int, False
    return np.array([str(c) for c in classes], dtype=object), True


def _n_columns(model):
    """Columns of ``predict_proba``: two for a single output, as for a single class."""
    return 2 if model.n_outputs_ == 1 and not _is_multilabel(model) else model.n_outputs_


def _output_type(model, input_type):
    """skl2onnx's convention: float32 for an integer or boolean input, else the model's."""
    if isinstance(input_type, (FloatTensorType, DoubleTensorType)):
        return _TENSOR_TYPE[_dtype(model)]
    return FloatTensorType


# -- building blocks of the graph -----------------------------------------------------------
def _const(scope, container, value, seed="const"):
    """Add ``value`` (a NumPy array) as an initializer and return its name."""
    name = scope.get_unique_variable_name(seed)
    value = np.asarray(value)
    if value.dtype == object:
        data = [str(v).encode("utf-8") for v in value.ravel()]
        container.add_initializer(name, TensorProto.STRING, list(value.shape), data)
    else:
        proto = {np.dtype(np.int64): TensorProto.INT64, **_PROTO}[value.dtype]
        container.add_initializer(name, proto, list(value.shape), value.ravel())
    return name


def _node(scope, container, op_type, inputs, output=None, **attrs):
    """Add one node and return the name of its (single) output."""
    output = output or scope.get_unique_variable_name(op_type.lower())
    container.add_node(op_type, inputs, output,
                       name=scope.get_unique_operator_name(op_type), **attrs)
    return output


def _cast(scope, container, name, proto, output=None):
    return _node(scope, container, "Cast", [name], output, to=proto)


def _as_dtype(scope, container, variable, dtype):
    """The input, cast to the model's dtype unless it has it already."""
    if isinstance(variable.type, _TENSOR_TYPE[dtype]):
        return variable.full_name
    return _cast(scope, container, variable.full_name, _PROTO[dtype])


class _Graph:
    """What an activation's ``to_onnx(graph, x)`` builds with: nodes and constants."""

    def __init__(self, scope, container, dtype):
        self.scope, self.container, self.dtype = scope, container, dtype

    def node(self, op_type, inputs, **attrs):
        return _node(self.scope, self.container, op_type, inputs, **attrs)

    def const(self, value):
        return _const(self.scope, self.container, self.dtype.type(value), "c")


def _activation(scope, container, name, x, dtype):
    """Emit the hidden activation ``name`` applied to ``x``, as its class says ONNX computes it."""
    act = nn.ACTIVATIONS[name]() if name in nn.ACTIVATIONS else None
    if act is None or act.to_onnx is None:
        raise NotImplementedError(
            f"skbpnet.onnx cannot export the activation {name!r}: "
            + ("it is not registered" if act is None else
               f"its class {type(act).__name__} sets to_onnx = None (no ONNX operators)")
            + ". Refit with an activation that ONNX can express, such as 'relu' or 'tanh'.")
    return act.to_onnx(_Graph(scope, container, dtype), x)


def _scores(scope, container, operator, dtype):
    """Emit the network up to its raw output scores; return their name."""
    model = operator.raw_operator._on_host()  # a model on a device exports its NumPy copy
    h = _as_dtype(scope, container, operator.inputs[0], dtype)
    n_layers = len(model.coefs_)
    for i, (w, b) in enumerate(zip(model.coefs_, model.intercepts_, strict=True)):
        w = _const(scope, container, np.asarray(w, dtype=dtype), "coef")
        b = _const(scope, container, np.asarray(b, dtype=dtype), "intercept")
        h = _node(scope, container, "Add", [_node(scope, container, "MatMul", [h, w]), b])
        if i < n_layers - 1:
            h = _activation(scope, container, model.activation, h, dtype)
    return h


def _finish(scope, container, name, variable, dtype):
    """Write ``name`` into the output ``variable``, cast to its declared type.

    A meta-estimator's converter may declare its inner model's output with the
    type of its input, an integer one included: that output is float32, as
    skl2onnx's own converters write it for an integer input.
    """
    if isinstance(variable.type, _TENSOR_TYPE[dtype]):
        _node(scope, container, "Identity", [name], variable.full_name)
    else:
        double = isinstance(variable.type, DoubleTensorType)
        to = TensorProto.DOUBLE if double else TensorProto.FLOAT
        _cast(scope, container, name, to, variable.full_name)


# -- classifier -----------------------------------------------------------------------------
def _labels(scope, container, model, scores, output):
    """Emit ``predict``: a 0/1 matrix (multilabel) or the class labels."""
    if _is_multilabel(model) or model.n_outputs_ == 1:
        zero = _const(scope, container, _dtype(model).type(0), "zero")
        positive = _cast(scope, container, _node(scope, container, "Greater", [scores, zero]),
                         TensorProto.INT64)  # scores > 0, as 0/1
    if _is_multilabel(model):
        _node(scope, container, "Identity", [positive], output)
        return
    if model.n_outputs_ == 1:
        index = positive
        flat = _const(scope, container, np.array([-1], dtype=np.int64), "flat")
        index = _node(scope, container, "Reshape", [index, flat])
    else:
        index = _node(scope, container, "ArgMax", [scores], axis=1, keepdims=0)
    labels = _class_labels(model)[0]
    # a single class: predict gives it whatever the score, for index 0 or 1
    classes = _const(scope, container, np.resize(labels, max(len(labels), 2)), "classes")
    _node(scope, container, "Gather", [classes, index], output, axis=0)


def _probabilities(scope, container, model, scores):
    """Emit ``predict_proba``; return its name."""
    dtype = _dtype(model)
    if model.out_activation_ == "softmax":
        return _node(scope, container, "Softmax", [scores], axis=1)
    if model.out_activation_ != "logistic":
        raise NotImplementedError(
            f"skbpnet.onnx cannot export a classifier with out_activation_="
            f"{model.out_activation_!r}."
        )
    # sigmoid kept inside [eps, 1 - eps], as predict_proba does
    eps = np.finfo(dtype).eps
    p = _node(scope, container, "Sigmoid", [scores])
    p = _node(scope, container, "Max", [p, _const(scope, container, dtype.type(eps), "eps")])
    p = _node(scope, container, "Min", [p, _const(scope, container, dtype.type(1.0 - eps),
                                                  "one_minus_eps")])
    if _is_multilabel(model):
        return p
    q = _node(scope, container, "Sub", [_const(scope, container, dtype.type(1.0), "one"), p])
    return _node(scope, container, "Concat", [q, p], axis=1)


def _raw_scores(scope, container, model, scores):
    """Emit ``decision_function`` as skl2onnx's classifiers give it: (n, 2) when binary."""
    if model.n_outputs_ > 1:
        return scores
    minus = _node(scope, container, "Neg", [scores])
    return _node(scope, container, "Concat", [minus, scores], axis=1)


def _convert_classifier(scope, operator, container):
    """skl2onnx converter of BPNetClassifier: labels, then probabilities or raw scores.

    With the option ``raw_scores=True`` (which skl2onnx's converters of
    CalibratedClassifierCV, OneVsRestClassifier, BaggingClassifier and
    StackingClassifier set when scikit-learn calls ``decision_function``), the
    second output is the decision function instead of the probabilities.
    """
    model = operator.raw_operator
    check_is_fitted(model)
    dtype = _dtype(model)
    scores = _scores(scope, container, operator, dtype)
    label, proba = operator.outputs[:2]
    _labels(scope, container, model, scores, label.full_name)
    if container.get_options(model, dict(raw_scores=False))["raw_scores"]:
        out = _raw_scores(scope, container, model, scores)
    else:
        out = _probabilities(scope, container, model, scores)
    _finish(scope, container, out, proba, dtype)


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    """skl2onnx parser of BPNetClassifier: labels and probabilities, then ZipMap if asked."""
    check_is_fitted(model)
    options = scope.get_options(model, dict(zipmap=True))
    zipmap = options["zipmap"] is not False
    operator = scope.declare_local_operator(CLASSIFIER_ALIAS, model)
    operator.inputs = inputs
    classes, strings = _class_labels(model)
    if zipmap and len(classes) < _n_columns(model):
        raise NotImplementedError(
            f"This {type(model).__name__} was fitted on a single class, "
            f"{classes.tolist()[0]!r}, and its predict_proba has two columns: ZipMap cannot name them. Export it with "
            f"the option zipmap=False (options={{id(model): {{'zipmap': False}}}})."
        )
    label_cls = StringTensorType if strings else Int64TensorType
    label_shape = [None, model.n_outputs_] if _is_multilabel(model) else [None]
    # ZipMap takes float32 only: with it, the probabilities are float32.
    proba_cls = FloatTensorType if zipmap else _output_type(model, inputs[0].type)
    label = scope.declare_local_variable("label", label_cls(label_shape))
    proba = scope.declare_local_variable("probabilities", proba_cls([None, _n_columns(model)]))
    operator.outputs.extend([label, proba])
    if not zipmap:
        return operator.outputs
    zipper = scope.declare_local_operator("SklearnZipMap")
    zipper.inputs = list(operator.outputs)
    if strings:
        zipper.classlabels_strings = [c.encode("utf-8") for c in classes]
    else:
        zipper.classlabels_int64s = [int(c) for c in classes]
    zipper.outputs.append(scope.declare_local_variable("output_label", label_cls(label_shape)))
    zipper.outputs.append(scope.declare_local_variable(
        "output_probability", SequenceType(DictionaryType(label_cls([]), FloatTensorType()))))
    zipper.init_status(is_evaluated=True)
    return zipper.outputs


# -- regressor ------------------------------------------------------------------------------
_OUT_ACTIVATIONS = {"identity": "Identity", "exp": "Exp", "logistic": "Sigmoid",
                    "softmax": "Softmax"}


def _convert_regressor(scope, operator, container):
    """skl2onnx converter of BPNetRegressor: ``out_activation_(scores)``, shape (n, k)."""
    model = operator.raw_operator
    check_is_fitted(model)
    dtype = _dtype(model)
    scores = _scores(scope, container, operator, dtype)
    op_type = _OUT_ACTIVATIONS.get(model.out_activation_)
    if op_type is None:
        raise NotImplementedError(
            f"skbpnet.onnx cannot export a regressor with out_activation_="
            f"{model.out_activation_!r}."
        )
    attrs = {"axis": 1} if op_type == "Softmax" else {}
    out = _node(scope, container, op_type, [scores], **attrs)
    _finish(scope, container, out, operator.outputs[0], dtype)


def _parse_regressor(scope, model, inputs, custom_parsers=None):
    """skl2onnx parser of BPNetRegressor: one output, ``variable``."""
    check_is_fitted(model)
    operator = scope.declare_local_operator(REGRESSOR_ALIAS, model)
    operator.inputs = inputs
    out_type = _output_type(model, inputs[0].type)([None, model.n_outputs_])
    operator.outputs.append(scope.declare_local_variable("variable", out_type))
    return operator.outputs


def _calculate_shapes(operator):
    """skl2onnx shape calculator: the parser's types, with the input's batch dimension."""
    n = operator.inputs[0].get_first_dimension()
    for variable in operator.outputs:
        shape = variable.type.shape
        if shape:
            variable.type.shape = [n, *shape[1:]]


# -- registration ---------------------------------------------------------------------------
def register_converters():
    """Register the ONNX converters of the estimators with skl2onnx.

    Importing :mod:`skbpnet.onnx` calls it already; call it again after
    something else registered other converters for the same classes. It
    registers, for :class:`~skbpnet.BPNetClassifier` and
    :class:`~skbpnet.BPNetRegressor`, a parser, a shape calculator and a
    converter; the classifier accepts skl2onnx's options ``zipmap`` and
    ``raw_scores`` (True or False).

    Returns
    -------
    None

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skl2onnx import to_onnx
    >>> from skbpnet import BPNetClassifier
    >>> from skbpnet.onnx import register_converters
    >>> register_converters()
    >>> X = np.random.RandomState(0).normal(size=(60, 4)).astype(np.float32)
    >>> y = np.where(X[:, 0] > 0, "yes", "no")
    >>> clf = BPNetClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=500,
    ...                       random_state=0).fit(X, y)
    >>> onx = to_onnx(clf, X[:1], options={BPNetClassifier: {"zipmap": False}})
    >>> sess = ort.InferenceSession(onx.SerializeToString(),
    ...                             providers=["CPUExecutionProvider"])
    >>> labels, proba = sess.run(None, {"X": X})
    >>> bool((labels == clf.predict(X)).all())
    True
    >>> bool(np.abs(proba - clf.predict_proba(X)).max() < 1e-5)
    True
    """
    update_registered_converter(
        BPNetClassifier, CLASSIFIER_ALIAS, _calculate_shapes, _convert_classifier,
        parser=_parse_classifier, options={"zipmap": [True, False],
                                           "raw_scores": [True, False]},
    )
    update_registered_converter(
        BPNetRegressor, REGRESSOR_ALIAS, _calculate_shapes, _convert_regressor,
        parser=_parse_regressor,
    )


register_converters()
