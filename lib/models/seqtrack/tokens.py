"""The SeqTrack vocabulary: normalised boxes <-> coordinate tokens, and the decoder's input/target sequences.

The vocabulary has ``bins + 2`` tokens: ``0 .. bins-1`` are coordinate bins, ``bins`` is END and
``bins + 1`` is START. A coordinate ``v`` in [0, 1] becomes the bin ``int(v * (bins - 1))`` and a bin
``b`` decodes to ``b / (bins - 1)``, so a round trip is exact to within one bin, ``1 / (bins - 1)``.
Boxes are always normalised (to the search crop) and written in the token order ``SEQ_FORMAT``.
"""

from __future__ import annotations

import torch

NUM_COORDINATES = 4  # tokens per box
SEQUENCE_LENGTH = NUM_COORDINATES + 1  # [START, c0..c3] in, [c0..c3, END] out


def end_token(bins: int) -> int:
    """The END token id (the target after the last coordinate)."""
    return bins


def start_token(bins: int) -> int:
    """The START token id (the first decoder input)."""
    return bins + 1


def vocab_size(bins: int) -> int:
    """Coordinate bins plus END and START."""
    return bins + 2


def boxes_to_tokens(boxes: torch.Tensor, bins: int) -> torch.Tensor:
    """Normalised boxes ``[..., 4]`` (token order) -> coordinate tokens ``[..., 4]`` (int64).

    Values are clamped to [0, 1] and quantised as ``int(v * (bins - 1))`` (floor, as the original).
    """
    if boxes.shape[-1] != NUM_COORDINATES:
        raise ValueError(f"expected boxes of shape [..., 4], got {tuple(boxes.shape)}")
    return (boxes.clamp(0.0, 1.0) * (bins - 1)).long()


def tokens_to_boxes(tokens: torch.Tensor, bins: int) -> torch.Tensor:
    """Coordinate tokens ``[..., 4]`` -> normalised boxes ``[..., 4]`` (float32), ``token / (bins - 1)``."""
    return tokens.float() / (bins - 1)


def build_sequences(boxes: torch.Tensor, bins: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised boxes ``[B, 4]`` (token order) -> ``(seq_input, seq_target)``, each ``[B, 5]`` int64.

    ``seq_input = [START, c0, c1, c2, c3]`` (teacher forcing), ``seq_target = [c0, c1, c2, c3, END]``.
    """
    coords = boxes_to_tokens(boxes, bins)  # (B, 4)
    batch = coords.shape[0]
    start = coords.new_full((batch, 1), start_token(bins))
    end = coords.new_full((batch, 1), end_token(bins))
    return torch.cat([start, coords], dim=1), torch.cat([coords, end], dim=1)
