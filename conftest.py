"""Repository-wide pytest set-up, loaded before anything imports scipy."""

import os

# scikit-learn's array API estimator check skips unless scipy runs in array API
# mode, which must be switched on before scipy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
