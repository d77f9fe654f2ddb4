"""The SeqTrack vocabulary: normalised boxes <-> coordinate tokens, and the decoder's input/target sequences.

The vocabulary has ``bins + 2`` tokens: ``0 .. bins-1`` are coordinate bins, ``bins`` is END and
``bins + 1`` is START. A coordinate ``v`` in [0, 1] becomes the bin ``int(v * (bins - 1))`` and a bin
``b`` decodes to ``b / (bins - 1)``, so a round trip is exact to within one bin, ``1 / (bins - 1)``.
Boxes are always normalised (to the search crop) and written in the token order ``SEQ_FORMAT``.

Training targets follow the original exactly (:func:`target_tokens`): the crop-normalised ground truth
(xywh) becomes corners, each corner is clipped to [0, 1] -- so a box that leaves the crop is replaced by
the box of its visible part -- then the corners go to the token order and are quantised, all in float32.
"""

from __future__ import annotations

import torch

from lib.utils.box_ops import box_xywh_to_xyxy, xyxy_to_seq_format

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


def visible_box_xyxy(box_xywh: torch.Tensor) -> torch.Tensor:
    """Normalised xywh boxes ``[..., 4]`` -> xyxy with every corner clipped to [0, 1]: the part in the crop."""
    return box_xywh_to_xyxy(box_xywh).clamp(0.0, 1.0)


def target_tokens(box_xywh: torch.Tensor, bins: int, seq_format: str) -> torch.Tensor:
    """The original's target tokens ``[..., 4]`` (int64) of crop-normalised xywh ground-truth boxes.

    Corners clipped to [0, 1] (:func:`visible_box_xyxy`), then the token order ``seq_format``, then
    ``int(v * (bins - 1))``. Clamping (cx, cy, w, h) instead would give another box once part of it
    leaves the crop.
    """
    return boxes_to_tokens(xyxy_to_seq_format(visible_box_xyxy(box_xywh), seq_format), bins)


def tokens_to_boxes(tokens: torch.Tensor, bins: int) -> torch.Tensor:
    """Coordinate tokens ``[..., 4]`` -> normalised boxes ``[..., 4]`` (float32), ``token / (bins - 1)``."""
    return tokens.float() / (bins - 1)


def build_sequences(boxes: torch.Tensor, bins: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised boxes ``[B, 4]`` (token order) -> ``(seq_input, seq_target)``, each ``[B, 5]`` int64."""
    return sequences_from_tokens(boxes_to_tokens(boxes, bins), bins)


def sequences_from_tokens(coords: torch.Tensor, bins: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Coordinate tokens ``[B, 4]`` -> ``(seq_input, seq_target)``, each ``[B, 5]`` int64.

    ``seq_input = [START, c0, c1, c2, c3]`` (teacher forcing), ``seq_target = [c0, c1, c2, c3, END]``.
    """
    batch = coords.shape[0]
    start = coords.new_full((batch, 1), start_token(bins))
    end = coords.new_full((batch, 1), end_token(bins))
    return torch.cat([start, coords], dim=1), torch.cat([coords, end], dim=1)
