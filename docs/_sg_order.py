"""Order of the examples in the gallery: from using the estimators to the core."""

ORDER = [
    "plot_mnist.py",
    "plot_pipeline_gridsearch.py",
    "plot_regression.py",
    "plot_tables.py",
    "plot_onnx_export.py",
    "plot_gpu.py",
    "plot_core_from_scratch.py",
    "plot_seed_protocol.py",
]


class ExampleOrder:
    """sphinx-gallery sort key: the files above in that order, any others after them by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        if filename in ORDER:
            return (ORDER.index(filename), filename)
        return (len(ORDER), filename)

    def __repr__(self):
        return f"<{type(self).__name__}>"
