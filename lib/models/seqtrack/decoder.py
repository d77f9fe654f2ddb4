"""The SeqTrack decoder: DETR-style transformer layers over coordinate tokens, with an optional key/value cache.

Parameter names follow the original (``nn.MultiheadAttention``'s ``in_proj_weight``/``out_proj``), so its
checkpoints load as they are; attention itself runs through ``F.scaled_dot_product_attention``.
Tensors are batch-first here: tokens ``(B, L, D)``, memory ``(B, N, D)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn


class MultiheadAttention(nn.Module):
    """Multi-head attention with ``nn.MultiheadAttention``'s parameters, split into projection and attention steps.

    The split lets a caller keep projected keys/values of earlier tokens (a cache) and project only new ones.
    """

    def __init__(self, dim: int, num_heads: int, dropout: float = 0.0):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"decoder width {dim} is not divisible by {num_heads} heads")
        self.dim, self.num_heads, self.dropout = dim, num_heads, dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.in_proj_bias)
        nn.init.zeros_(self.out_proj.bias)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        # (B, N, D) -> (B, heads, N, D/heads)
        return x.unflatten(-1, (self.num_heads, -1)).transpose(1, 2)

    def _project(self, x: torch.Tensor, part: int) -> torch.Tensor:
        """Part 0, 1, 2 of the packed projection: query, key, value."""
        rows = slice(part * self.dim, (part + 1) * self.dim)
        return self._heads(F.linear(x, self.in_proj_weight[rows], self.in_proj_bias[rows]))

    def project_query(self, query: torch.Tensor) -> torch.Tensor:
        return self._project(query, 0)

    def project_key_value(self, key: torch.Tensor, value: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self._project(key, 1), self._project(value, 2)

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
        """Projected ``(B, heads, Lq, d)`` queries over ``(B, heads, Lk, d)`` keys/values -> ``(B, Lq, D)``."""
        dropout = self.dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=causal)
        # (B, heads, Lq, d) -> (B, Lq, D)
        return self.out_proj(out.transpose(1, 2).flatten(2))


@dataclass
class LayerCache:
    """One layer's projected self-attention keys/values so far, and its cross-attention keys/values (memory)."""

    self_k: torch.Tensor | None = None
    self_v: torch.Tensor | None = None
    cross_k: torch.Tensor | None = None
    cross_v: torch.Tensor | None = None


@dataclass
class KVCache:
    """Per-layer caches of one greedy decoding run; ``length`` tokens have been decoded so far."""

    layers: list = field(default_factory=list)
    length: int = 0

    @classmethod
    def empty(cls, num_layers: int) -> KVCache:
        return cls(layers=[LayerCache() for _ in range(num_layers)])


class DecoderLayer(nn.Module):
    """Causal self-attention, cross-attention to the memory, ReLU FFN; post-norm (DETR) or pre-norm."""

    def __init__(self, dim: int, num_heads: int, dim_feedforward: int, dropout: float, pre_norm: bool):
        super().__init__()
        self.self_attn = MultiheadAttention(dim, num_heads, dropout)
        self.multihead_attn = MultiheadAttention(dim, num_heads, dropout)
        self.linear1 = nn.Linear(dim, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, dim)
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)
        self.dropout1, self.dropout2, self.dropout3 = nn.Dropout(dropout), nn.Dropout(dropout), nn.Dropout(dropout)
        self.pre_norm = pre_norm

    def _self_attention(self, x: torch.Tensor, query_pos: torch.Tensor, cache: LayerCache | None) -> torch.Tensor:
        # DETR: positions are added to queries and keys, not to values.
        q = self.self_attn.project_query(x + query_pos)
        k, v = self.self_attn.project_key_value(x + query_pos, x)
        if cache is None:
            return self.self_attn.attend(q, k, v, causal=True)
        if cache.self_k is not None:
            k, v = torch.cat([cache.self_k, k], dim=2), torch.cat([cache.self_v, v], dim=2)
        cache.self_k, cache.self_v = k, v
        # One new token: it may see every cached token and itself, so no mask is needed.
        return self.self_attn.attend(q, k, v, causal=False)

    def _cross_attention(self, x: torch.Tensor, query_pos: torch.Tensor, memory: torch.Tensor,
                         memory_pos: torch.Tensor, cache: LayerCache | None) -> torch.Tensor:
        q = self.multihead_attn.project_query(x + query_pos)
        if cache is not None and cache.cross_k is not None:
            k, v = cache.cross_k, cache.cross_v
        else:
            k, v = self.multihead_attn.project_key_value(memory + memory_pos, memory)
            if cache is not None:
                cache.cross_k, cache.cross_v = k, v
        return self.multihead_attn.attend(q, k, v, causal=False)

    def _feedforward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.dropout(F.relu(self.linear1(x))))

    def forward(self, x: torch.Tensor, query_pos: torch.Tensor, memory: torch.Tensor, memory_pos: torch.Tensor,
                cache: LayerCache | None = None) -> torch.Tensor:
        if self.pre_norm:
            x = x + self.dropout1(self._self_attention(self.norm1(x), query_pos, cache))
            x = x + self.dropout2(self._cross_attention(self.norm2(x), query_pos, memory, memory_pos, cache))
            return x + self.dropout3(self._feedforward(self.norm3(x)))
        x = self.norm1(x + self.dropout1(self._self_attention(x, query_pos, cache)))
        x = self.norm2(x + self.dropout2(self._cross_attention(x, query_pos, memory, memory_pos, cache)))
        return self.norm3(x + self.dropout3(self._feedforward(x)))


class DecoderBody(nn.Module):
    """The stack of decoder layers and the final LayerNorm (``decoder.body.*``)."""

    def __init__(self, layers: list, dim: int):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x, query_pos, memory, memory_pos, cache: KVCache | None = None) -> torch.Tensor:
        for index, layer in enumerate(self.layers):
            x = layer(x, query_pos, memory, memory_pos, cache.layers[index] if cache is not None else None)
        return self.norm(x)


class DecoderEmbeddings(nn.Module):
    """Token embedding -> LayerNorm -> dropout; ``position_embeddings`` are the queries' positions.

    As in the original, positions are not added to the input embedding: each layer adds them to its
    attention queries and keys (DETR's ``query_pos``).
    """

    def __init__(self, vocab_size: int, dim: int, max_positions: int, dropout: float):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, dim)
        self.position_embeddings = nn.Embedding(max_positions, dim)
        self.LayerNorm = nn.LayerNorm(dim)  # the original's name (BERT style)
        self.dropout = nn.Dropout(dropout)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.LayerNorm(self.word_embeddings(tokens)))


class SeqTrackDecoder(nn.Module):
    """Token embedding plus the transformer body; returns hidden states, the caller owns the output head."""

    def __init__(self, vocab_size: int, dim: int, num_heads: int, num_layers: int, dim_feedforward: int,
                 dropout: float, pre_norm: bool, max_positions: int):
        super().__init__()
        self.embedding = DecoderEmbeddings(vocab_size, dim, max_positions, dropout)
        layers = [DecoderLayer(dim, num_heads, dim_feedforward, dropout, pre_norm) for _ in range(num_layers)]
        self.body = DecoderBody(layers, dim)
        self.max_positions = max_positions
        # The original initialises every matrix of the decoder (embeddings included) Xavier-uniform.
        for param in self.parameters():
            if param.dim() > 1:
                nn.init.xavier_uniform_(param)

    def new_cache(self) -> KVCache:
        return KVCache.empty(len(self.body.layers))

    def forward(self, tokens: torch.Tensor, memory: torch.Tensor, memory_pos: torch.Tensor,
                cache: KVCache | None = None) -> torch.Tensor:
        """Tokens ``(B, L)`` over memory ``(B, N, D)`` -> hidden states ``(B, L, D)``.

        Without ``cache``: the whole sequence, causally masked (training, teacher forcing). With ``cache``:
        ``tokens`` are the next single token (``L == 1``) after the ``cache.length`` already decoded.
        """
        start = cache.length if cache is not None else 0
        length = tokens.shape[1]
        if cache is not None and length != 1:
            raise ValueError(f"a cached decoder step takes exactly one new token, got {length}")
        if start + length > self.max_positions:
            raise ValueError(f"sequence of {start + length} tokens exceeds the {self.max_positions} decoder positions")
        query_pos = self.embedding.position_embeddings.weight[start:start + length].unsqueeze(0)  # (1, L, D)
        hidden = self.body(self.embedding(tokens), query_pos, memory, memory_pos, cache)
        if cache is not None:
            cache.length += length
        return hidden
