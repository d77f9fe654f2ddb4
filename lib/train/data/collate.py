"""Collate per-sample tensors into frames-first batches: images (frames, B, C, H, W), boxes (frames, B, 4)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from lib.utils.stage_timer import NO_TIMER


def collate_frames_first(samples: Sequence[dict], timer=NO_TIMER) -> dict:
    """Stack each key of the per-sample dicts along a new dim 1.

    ``template_images`` (T, 3, H, W) per sample -> (T, B, 3, H, W); ``*_anno`` (F, 4) -> (F, B, 4);
    ``search_visible`` (S,) -> (S, B). Values that are not tensors are gathered into lists.
    """
    if not samples:
        raise ValueError("cannot collate an empty batch")
    with timer.stage("collate"):
        batch = {}
        for key in samples[0].keys():
            values = [sample[key] for sample in samples]
            if isinstance(values[0], torch.Tensor):
                batch[key] = torch.stack(values, dim=1)
            else:
                batch[key] = values
    return batch
