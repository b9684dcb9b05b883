"""A key/value cache that reserves room for the whole decode up front.

transformers' `DynamicCache` concatenates every step's new key/value onto the old ones, so each
decoding step copies the entire cache of every layer; on a CPU, with a few-shot prompt of a few hundred
tokens, that copy costs as much as the step's matrix products. Here each layer's keys and values live
in one buffer sized for prompt plus `max_new_tokens`; a step writes its column in place and attention
reads a view of the filled part. Used only when every layer of the model is a plain full-attention
layer (no sliding windows, no linear attention); anything else keeps `DynamicCache`.

Imported only once a model is about to run (it needs transformers at import time).
"""

from __future__ import annotations

from typing import Any

from transformers.cache_utils import DynamicLayer


def prefix_cache(model: Any, prefix: list[int], batch: int, device: str) -> Any:
    """A `DynamicCache` holding `prefix`'s keys/values, computed once and repeated for `batch` rows.

    Few-shot prompts in one batch share instructions and in-context examples (often 90% of their
    tokens); running that part once instead of per row is most of the work saved on a CPU.
    """
    from transformers import DynamicCache

    cache = DynamicCache(config=model.config)
    _run(model, prefix, cache, device)
    cache.batch_repeat_interleave(batch)
    return cache


def reserved_cache(model: Any, capacity: int, prefix: list[int], batch: int, device: str) -> Any:
    """Like `prefix_cache` (empty for an empty `prefix`), with room for `capacity` positions per layer
    reserved up front; a plain `DynamicCache` where the model's layers are not all full attention."""
    from transformers import DynamicCache

    cache = DynamicCache(config=model.config)
    if not cache.layers or any(type(layer) is not DynamicLayer for layer in cache.layers):
        return prefix_cache(model, prefix, batch, device) if prefix else cache
    layers: list[Any] = [_ReservedLayer(capacity) for _ in cache.layers]
    if prefix:
        shared = DynamicCache(config=model.config)
        _run(model, prefix, shared, device)
        done: Any
        for layer, done in zip(layers, shared.layers, strict=True):
            layer.fill(done.keys, done.values, batch)
    cache.layers = layers
    return cache


def _run(model: Any, prefix: list[int], cache: Any, device: str) -> None:
    import torch

    ids = torch.tensor([prefix], dtype=torch.long, device=device)
    model(input_ids=ids, past_key_values=cache, use_cache=True, logits_to_keep=1)


class _ReservedLayer(DynamicLayer):
    """One layer's keys/values in a buffer of `capacity` positions (grown if ever exceeded).

    Serves `greedy.greedy_decode`, which only updates it and drops rows; transformers'
    `generate` (whose beam search and assisted decoding crop and reorder caches) never sees it."""

    def __init__(self, capacity: int) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # transformers leaves it unannotated
        self.capacity = capacity
        self.length = 0
        self._k: Any = None
        self._v: Any = None

    def fill(self, keys: Any, values: Any, batch: int) -> None:
        """Start from `keys`/`values` of one row (a shared prefix), repeated for `batch` rows."""
        self._allocate(keys, batch, keys.shape[-2])
        self._k[:, :, : keys.shape[-2]] = keys
        self._v[:, :, : values.shape[-2]] = values
        self.length = keys.shape[-2]
        self._expose()

    def _allocate(self, like: Any, batch: int, used: int) -> None:
        import torch

        shape = (batch, like.shape[1], max(used, self.capacity), like.shape[-1])
        self._k = torch.empty(shape, dtype=like.dtype, device=like.device)
        self._v = torch.empty(shape, dtype=like.dtype, device=like.device)
        self.dtype, self.device = like.dtype, like.device
        self.is_initialized = True

    def _expose(self) -> None:
        self.keys = self._k[:, :, : self.length]
        self.values = self._v[:, :, : self.length]

    def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        new = key_states.shape[-2]
        if not self.is_initialized:
            self._allocate(key_states, key_states.shape[0], new)
        elif self.length + new > self._k.shape[-2]:
            self._grow(self.length + new)
        self._k[:, :, self.length : self.length + new] = key_states
        self._v[:, :, self.length : self.length + new] = value_states
        self.length += new
        self._expose()
        return self.keys, self.values

    def _grow(self, needed: int) -> None:
        import torch

        k, v = self._k, self._v
        shape = (k.shape[0], k.shape[1], max(needed, 2 * k.shape[-2]), k.shape[-1])
        self._k = torch.empty(shape, dtype=k.dtype, device=k.device)
        self._v = torch.empty(shape, dtype=v.dtype, device=v.device)
        self._k[:, :, : self.length] = k[:, :, : self.length]
        self._v[:, :, : self.length] = v[:, :, : self.length]

    def get_seq_length(self) -> int:
        return self.length

    def batch_select_indices(self, indices: Any) -> None:
        if self.is_initialized:
            self._k, self._v = self._k[indices], self._v[indices]
            self._expose()
