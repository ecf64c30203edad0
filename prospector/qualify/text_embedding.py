"""The optional embedding backend of relevance: a sentence-transformers model, loaded offline.

Only used when ``relevance.backend = "embedding"``. The model named (or the local directory
given) by ``relevance.embedding_model`` is loaded with ``HF_HUB_OFFLINE=1`` and
``TRANSFORMERS_OFFLINE=1`` set and ``local_files_only``: Prospector never downloads a model.
When sentence-transformers is not installed or the model is not available locally, a
:class:`~prospector.errors.ConfigError` says so.

The cosine similarity ``c`` of the page's and the campaign's embeddings (the best of the
campaign document and each target) is scaled linearly between :data:`FLOOR` and
:data:`CEILING`: ``relevance = 100 * clamp((c - FLOOR) / (CEILING - FLOOR), 0, 1)``; sentence
embeddings of unrelated English texts rarely score under 0.1, near-paraphrases over 0.6.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from typing import Any

from prospector.errors import ConfigError

FLOOR = 0.1
CEILING = 0.6
MAX_CHARS = 4000  # of the page text embedded (models truncate long inputs anyway)


class Embedder:
    def __init__(self, model_name: str, campaign_docs: Sequence[str]) -> None:
        self.model_name = model_name
        self._model = load_model(model_name)
        self._campaign = self._encode(list(campaign_docs))

    def _encode(self, texts: list[str]) -> Any:
        try:
            return self._model.encode(texts, normalize_embeddings=True, show_progress_bar=False)
        except Exception as exc:  # a library error, translated at the edge
            raise ConfigError(
                f"relevance.embedding_model {self.model_name!r} failed to embed text: {exc}"
            ) from exc

    def similarity(self, text: str) -> float:
        """The best cosine similarity of ``text`` to the campaign document and its targets."""
        vector = self._encode([text[:MAX_CHARS]])[0]
        return float(max(float(row @ vector) for row in self._campaign))

    @staticmethod
    def scaled(similarity: float) -> float:
        return 100.0 * min(1.0, max(0.0, (similarity - FLOOR) / (CEILING - FLOOR)))


def load_model(model_name: str) -> Any:
    """The sentence-transformers model, from the local cache or a directory; never downloaded."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        module = importlib.import_module("sentence_transformers")
    except ImportError as exc:
        raise ConfigError(
            "relevance.backend = 'embedding' needs the sentence-transformers package "
            "(pip install sentence-transformers), which is not installed; "
            "use relevance.backend = 'tfidf' or install it"
        ) from exc
    try:
        return module.SentenceTransformer(model_name, local_files_only=True)
    except Exception as exc:  # a library error, translated at the edge
        raise ConfigError(
            f"relevance.embedding_model {model_name!r} cannot be loaded offline (Prospector "
            f"never downloads models; give a local directory or a cached model): {exc}"
        ) from exc
