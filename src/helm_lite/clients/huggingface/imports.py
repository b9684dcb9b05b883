"""transformers' causal-LM classes, imported without transformers' eager scikit-learn import.

Whenever scikit-learn is installed, transformers' assisted-decoding module imports `sklearn.metrics`
(for one ROC curve, used only by assisted decoding with a dynamic confidence threshold), and every
causal-LM class pulls that module in: about 0.8 s of each model load on a 2-core CPU. helm_lite never
uses assisted decoding (scikit-learn is installed for HELM's calibration stats, which import it
themselves when needed), so that one module is imported while transformers reports scikit-learn
missing; the check is restored right after for everything else.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

_ASSISTED = "transformers.generation.candidate_generator"
_lock = threading.Lock()


def auto_model_class() -> Any:
    """`transformers.AutoModelForCausalLM`."""
    with _lock:
        if _ASSISTED not in sys.modules:
            _import_assisted_decoding_without_sklearn()
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM


def _import_assisted_decoding_without_sklearn() -> None:
    import importlib

    import transformers.utils as utils
    from transformers.utils import import_utils

    real = import_utils.is_sklearn_available
    # transformers.utils re-exports the check without listing it in __all__.
    utils.is_sklearn_available = import_utils.is_sklearn_available = lambda: False  # type: ignore[attr-defined]
    try:
        importlib.import_module(_ASSISTED)
    finally:
        utils.is_sklearn_available = import_utils.is_sklearn_available = real  # type: ignore[attr-defined]
