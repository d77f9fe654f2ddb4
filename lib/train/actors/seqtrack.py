"""The SeqTrack actor: builds token sequences from a batch, runs the net, returns the loss and its stats."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from lib.models.seqtrack.tokens import (
    NUM_COORDINATES,
    sequences_from_tokens,
    target_tokens,
    tokens_to_boxes,
    vocab_size,
)
from lib.utils.box_ops import box_iou_xyxy, seq_format_to_xyxy

SPECIAL_TOKEN_WEIGHT = 0.01  # cross-entropy class weight of END and START (coordinates weigh 1)


def class_weights(bins: int) -> torch.Tensor:
    """Cross-entropy class weights ``(bins + 2,)``: 1 per coordinate bin, 0.01 for END and START."""
    weights = torch.ones(vocab_size(bins))
    weights[bins:] = SPECIAL_TOKEN_WEIGHT
    return weights


def decoded_iou(logits: torch.Tensor, target: torch.Tensor, bins: int, seq_format: str) -> torch.Tensor:
    """IoU ``(B,)`` of the argmax-decoded box against the target tokens ``(B, 4)``, as the original logs it.

    The first four positions' argmax over the coordinate bins and the targets are decoded in token order
    ``seq_format`` and converted to xyxy (the original always assumed cx, cy, w, h here).
    """
    tokens = logits[:, :NUM_COORDINATES, :bins].argmax(dim=-1)  # (B, 4)
    predicted = seq_format_to_xyxy(tokens_to_boxes(tokens, bins), seq_format)
    return box_iou_xyxy(predicted, seq_format_to_xyxy(tokens_to_boxes(target, bins), seq_format))


class SeqTrackActor:
    """``actor(batch) -> (loss, stats)``; ``stats`` are 0-dim tensors the trainer reads back when it logs.

    ``batch``: ``template_images [T, B, 3, H, W]``, ``search_images [1, B, 3, H, W]`` and
    ``search_anno [1, B, 4]``, the ground truth in the search crop as normalised xywh (top-left x, y, w, h);
    the targets are its visible part's tokens (:func:`lib.models.seqtrack.tokens.target_tokens`).
    """

    def __init__(self, net: torch.nn.Module, bins: int, seq_format: str, ce_weight: float):
        self.net = net
        self.bins = bins
        self.seq_format = seq_format
        self.ce_weight = ce_weight
        self._class_weights = class_weights(bins)

    def _weights_on(self, device: torch.device) -> torch.Tensor:
        if self._class_weights.device != device:  # moved once, not every step
            self._class_weights = self._class_weights.to(device)
        return self._class_weights

    def __call__(self, batch: dict) -> tuple[torch.Tensor, dict]:
        search_anno = batch["search_anno"]
        if search_anno.dim() != 3 or search_anno.shape[0] != 1 or search_anno.shape[-1] != 4:
            raise ValueError(f"search_anno must be [1, B, 4] (one search frame), got {tuple(search_anno.shape)}")
        coords = target_tokens(search_anno[0].float(), self.bins, self.seq_format)  # (B, 4)
        seq_input, seq_target = sequences_from_tokens(coords, self.bins)
        logits = self.net(batch["template_images"], batch["search_images"], seq_input)  # (B, 5, V)
        loss = self.ce_weight * F.cross_entropy(logits.flatten(0, 1).float(), seq_target.flatten(),
                                                weight=self._weights_on(logits.device))
        with torch.no_grad():
            iou = decoded_iou(logits.detach(), coords, self.bins, self.seq_format).mean()
        return loss, {"Loss/total": loss.detach(), "IoU": iou}


def build_actor(cfg, net: torch.nn.Module) -> SeqTrackActor:
    """The actor for ``net`` with ``MODEL.BINS``, ``DATA.SEQ_FORMAT`` and ``TRAIN.CE_WEIGHT``."""
    return SeqTrackActor(net, cfg.MODEL.BINS, cfg.DATA.SEQ_FORMAT, cfg.TRAIN.CE_WEIGHT)
