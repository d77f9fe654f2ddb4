"""Tests of the SeqTrack actor: the weighted token cross-entropy, the decoded-box IoU, and learning one batch."""

import math

import pytest
import torch
from configs import UNIT_ARCH, tiny_config

from lib.models.seqtrack import build_seqtrack
from lib.models.seqtrack.tokens import build_sequences
from lib.train.actors import SeqTrackActor, build_actor
from lib.train.actors.seqtrack import class_weights, decoded_iou
from lib.utils.box_ops import box_xywh_to_xyxy, xyxy_to_seq_format


def tiny_batch(batch=4, seed=0, size=64):
    generator = torch.Generator().manual_seed(seed)
    xy = torch.rand(batch, 2, generator=generator) * 0.5
    wh = 0.1 + torch.rand(batch, 2, generator=generator) * 0.4
    return {
        "template_images": torch.randn(2, batch, 3, size, size, generator=generator),
        "search_images": torch.randn(1, batch, 3, size, size, generator=generator),
        "search_anno": torch.cat([xy, wh], dim=1).unsqueeze(0),  # (1, B, 4) normalised xywh (top-left)
    }


def make_actor(seed=0, **overrides):
    cfg = tiny_config(UNIT_ARCH, **overrides)
    torch.manual_seed(seed)
    return build_actor(cfg, build_seqtrack(cfg))


def one_hot_logits(tokens, vocab):
    """Logits ``(B, L, V)`` that put all the mass on ``tokens`` ``(B, L)``."""
    return torch.nn.functional.one_hot(tokens, vocab).float() * 20.0


# ------------------------------------------------------------------------------------ loss
def test_loss_is_finite_and_trains_every_part():
    actor = make_actor()
    loss, stats = actor(tiny_batch())
    assert loss.dim() == 0 and torch.isfinite(loss)
    loss.backward()
    for name, param in actor.net.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name
    assert set(stats) == {"Loss/total", "IoU"}
    for value in stats.values():  # 0-dim tensors, read back by the trainer when it logs
        assert isinstance(value, torch.Tensor) and value.dim() == 0 and not value.requires_grad
    assert 0.0 <= stats["IoU"].item() <= 1.0


def test_loss_is_the_class_weighted_token_cross_entropy():
    actor = make_actor(**{"TRAIN.CE_WEIGHT": 2.5})
    actor.net.eval()  # no dropout: the logits can be recomputed
    batch = tiny_batch(batch=3)
    loss, _ = actor(batch)
    boxes = xyxy_to_seq_format(box_xywh_to_xyxy(batch["search_anno"][0]), "xywh")
    seq_input, seq_target = build_sequences(boxes, 100)
    with torch.no_grad():
        log_probs = actor.net(batch["template_images"], batch["search_images"], seq_input).log_softmax(-1)
    weights = torch.where(seq_target >= 100, 0.01, 1.0)  # END (the 5th target) weighs 0.01
    nll = -log_probs.gather(-1, seq_target.unsqueeze(-1)).squeeze(-1)
    expected = 2.5 * (weights * nll).sum() / weights.sum()
    torch.testing.assert_close(loss.detach(), expected)


def test_class_weights_down_weight_end_and_start():
    weights = class_weights(4000)
    assert weights.shape == (4002,)
    assert weights[:4000].eq(1).all() and weights[4000:].tolist() == pytest.approx([0.01, 0.01])


def test_more_than_one_search_frame_is_an_error():
    actor = make_actor()
    batch = tiny_batch()
    batch["search_anno"] = batch["search_anno"].repeat(2, 1, 1)
    with pytest.raises(ValueError, match=r"\[1, B, 4\]"):
        actor(batch)


# ------------------------------------------------------------------------------------ IoU
# With bins = 65, every multiple of 1/64 is exact in binary: a perfect prediction decodes exactly.
GT_XYWH = torch.tensor([[8, 16, 24, 20], [0, 4, 60, 40], [32, 32, 16, 8]]) / 64.0


@pytest.mark.parametrize("seq_format", ["xywh", "xyxy"])
def test_perfect_logits_give_iou_one(seq_format):
    bins = 65
    gt_xyxy = box_xywh_to_xyxy(GT_XYWH)
    _, seq_target = build_sequences(xyxy_to_seq_format(gt_xyxy, seq_format), bins)
    iou = decoded_iou(one_hot_logits(seq_target, bins + 2), seq_target[:, :4], bins, seq_format)
    torch.testing.assert_close(iou, torch.ones(3))
    wrong = seq_target.clone()
    wrong[:, 2] = (wrong[:, 2] - 8).clamp(min=0)  # a narrower (or shifted) box: not a perfect match
    assert (decoded_iou(one_hot_logits(wrong, bins + 2), seq_target[:, :4], bins, seq_format) < 1).all()


def test_iou_reads_the_tokens_in_the_configured_format():
    # xyxy tokens read as (cx, cy, w, h) -- the original's assumption -- are a different box.
    bins = 65
    gt_xyxy = box_xywh_to_xyxy(GT_XYWH)
    _, seq_target = build_sequences(xyxy_to_seq_format(gt_xyxy, "xyxy"), bins)
    xywh_target = build_sequences(xyxy_to_seq_format(gt_xyxy, "xywh"), bins)[1][:, :4]
    assert decoded_iou(one_hot_logits(seq_target, bins + 2), xywh_target, bins, "xywh").mean() < 0.9


def test_iou_ignores_special_tokens_and_the_end_position():
    bins = 65
    gt_xyxy = box_xywh_to_xyxy(GT_XYWH)
    _, seq_target = build_sequences(xyxy_to_seq_format(gt_xyxy, "xywh"), bins)
    logits = one_hot_logits(seq_target, bins + 2)
    logits[:, :4, bins:] = 100.0  # END/START scores above every bin: not coordinates, so not decoded
    torch.testing.assert_close(decoded_iou(logits, seq_target[:, :4], bins, "xywh"), torch.ones(3))


def test_targets_are_the_visible_part_of_a_box_that_leaves_the_crop():
    """The original clips the corners, then converts: a box half outside on the right becomes its left half."""
    actor = make_actor()
    batch = tiny_batch()
    bins = actor.bins
    batch["search_anno"] = torch.tensor([[[0.75, 0.25, 0.5, 0.5]] * batch["search_anno"].shape[1]])
    captured = {}
    original_forward = actor.net.forward

    def recording_forward(template_images, search_images, seq_input):
        captured["seq_input"] = seq_input
        return original_forward(template_images, search_images, seq_input)

    actor.net.forward = recording_forward
    actor(batch)
    visible = torch.tensor([0.875, 0.5, 0.25, 0.5])  # corners (0.75, 0.25, 1.0, 0.75): cx, cy, w, h
    assert captured["seq_input"][0, 1:].tolist() == (visible * (bins - 1)).long().tolist()


# ------------------------------------------------------------------------------------ learning
@pytest.mark.parametrize("seq_format", ["xywh", "xyxy"])
def test_tiny_model_overfits_one_batch(seq_format):
    # 32-px crops (4 x 4 patches) keep 100 steps to a few seconds on two cores.
    actor = make_actor(**{"DATA.SEQ_FORMAT": seq_format, "DATA.SEARCH.SIZE": 32, "DATA.TEMPLATE.SIZE": 32})
    assert isinstance(actor, SeqTrackActor) and actor.seq_format == seq_format
    optimizer = torch.optim.AdamW(actor.net.parameters(), lr=1e-3)
    batch = tiny_batch(size=32)
    losses = []
    for _ in range(100):
        loss, stats = actor(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 0.8 * math.log(102)  # starts near chance over the vocabulary
    assert sum(losses[-5:]) / 5 < 0.2 * losses[0]
    actor.net.eval()
    with torch.no_grad():
        _, stats = actor(batch)
    assert stats["IoU"].item() > 0.8
