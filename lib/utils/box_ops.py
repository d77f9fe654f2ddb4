"""Pure box-format conversions and IoU on ``[..., 4]`` tensors.

Formats (the name of each function says which it takes and returns):
- ``xywh``:   top-left x, top-left y, width, height (LaSOT's ``groundtruth.txt``);
- ``cxcywh``: centre x, centre y, width, height (SeqTrack's token order for ``SEQ_FORMAT: xywh``);
- ``xyxy``:   top-left x, top-left y, bottom-right x, bottom-right y.
Every function works on pixels and on normalised coordinates alike: it never rescales.
"""

from __future__ import annotations

import torch


def box_xywh_to_xyxy(box: torch.Tensor) -> torch.Tensor:
    x, y, w, h = box.unbind(-1)
    return torch.stack((x, y, x + w, y + h), dim=-1)


def box_xyxy_to_xywh(box: torch.Tensor) -> torch.Tensor:
    x1, y1, x2, y2 = box.unbind(-1)
    return torch.stack((x1, y1, x2 - x1, y2 - y1), dim=-1)


def box_cxcywh_to_xyxy(box: torch.Tensor) -> torch.Tensor:
    cx, cy, w, h = box.unbind(-1)
    return torch.stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), dim=-1)


def box_xyxy_to_cxcywh(box: torch.Tensor) -> torch.Tensor:
    x1, y1, x2, y2 = box.unbind(-1)
    return torch.stack((0.5 * (x1 + x2), 0.5 * (y1 + y2), x2 - x1, y2 - y1), dim=-1)


def box_xywh_to_cxcywh(box: torch.Tensor) -> torch.Tensor:
    x, y, w, h = box.unbind(-1)
    return torch.stack((x + 0.5 * w, y + 0.5 * h, w, h), dim=-1)


def box_cxcywh_to_xywh(box: torch.Tensor) -> torch.Tensor:
    cx, cy, w, h = box.unbind(-1)
    return torch.stack((cx - 0.5 * w, cy - 0.5 * h, w, h), dim=-1)


# SEQ_FORMAT names the order in which the four coordinate tokens are written.
# 'xywh' is the original's name for (cx, cy, w, h); 'xyxy' is (x1, y1, x2, y2).
_TO_XYXY = {"xywh": box_cxcywh_to_xyxy, "xyxy": lambda box: box}
_FROM_XYXY = {"xywh": box_xyxy_to_cxcywh, "xyxy": lambda box: box}
_TO_CXCYWH = {"xywh": lambda box: box, "xyxy": box_xyxy_to_cxcywh}
SEQ_FORMATS = tuple(_TO_XYXY)


def seq_format_to_xyxy(box: torch.Tensor, seq_format: str) -> torch.Tensor:
    """Boxes written in token order ``seq_format`` -> xyxy."""
    try:
        return _TO_XYXY[seq_format](box)
    except KeyError:
        raise ValueError(f"unknown SEQ_FORMAT {seq_format!r}; expected one of {SEQ_FORMATS}") from None


def seq_format_to_cxcywh(box: torch.Tensor, seq_format: str) -> torch.Tensor:
    """Boxes written in token order ``seq_format`` -> cxcywh (the same tensor for ``xywh``: no rounding)."""
    try:
        return _TO_CXCYWH[seq_format](box)
    except KeyError:
        raise ValueError(f"unknown SEQ_FORMAT {seq_format!r}; expected one of {SEQ_FORMATS}") from None


def xyxy_to_seq_format(box: torch.Tensor, seq_format: str) -> torch.Tensor:
    """xyxy boxes -> token order ``seq_format`` (inverse of :func:`seq_format_to_xyxy`)."""
    try:
        return _FROM_XYXY[seq_format](box)
    except KeyError:
        raise ValueError(f"unknown SEQ_FORMAT {seq_format!r}; expected one of {SEQ_FORMATS}") from None


def box_iou_xyxy(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """Element-wise IoU of two ``[..., 4]`` xyxy tensors of the same shape.

    Degenerate boxes (zero or negative extent) have zero area; the IoU of two of them is 0.
    """
    top_left = torch.maximum(boxes1[..., :2], boxes2[..., :2])
    bottom_right = torch.minimum(boxes1[..., 2:], boxes2[..., 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(-1)
    area1 = (boxes1[..., 2:] - boxes1[..., :2]).clamp(min=0).prod(-1)
    area2 = (boxes2[..., 2:] - boxes2[..., :2]).clamp(min=0).prod(-1)
    union = area1 + area2 - inter
    return torch.where(union > 0, inter / union.clamp(min=torch.finfo(union.dtype).tiny), torch.zeros_like(union))
