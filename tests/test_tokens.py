"""Unit tests of the box <-> token vocabulary (lib/models/seqtrack/tokens.py)."""

import pytest
import torch

from lib.models.seqtrack.tokens import (
    boxes_to_tokens,
    build_sequences,
    end_token,
    sequences_from_tokens,
    start_token,
    target_tokens,
    tokens_to_boxes,
    vocab_size,
)


def test_special_tokens_follow_the_coordinate_bins():
    assert (end_token(4000), start_token(4000), vocab_size(4000)) == (4000, 4001, 4002)


def test_quantisation_is_floor_of_v_times_bins_minus_one():
    boxes = torch.tensor([[0.0, 1.0, 0.5, 0.2502]])
    # 0.5 * 3999 = 1999.5 -> 1999; 0.2502 * 3999 = 1000.55 -> 1000
    assert boxes_to_tokens(boxes, 4000).tolist() == [[0, 3999, 1999, 1000]]
    assert boxes_to_tokens(boxes, 4000).dtype == torch.int64


def test_out_of_crop_values_are_clamped():
    boxes = torch.tensor([[-0.3, 1.7, 0.25, 2.0]])
    assert boxes_to_tokens(boxes, 101).tolist() == [[0, 100, 25, 100]]


def test_targets_clip_corners_before_the_conversion():
    box = torch.tensor([[0.75, 0.125, 0.5, 0.25]])  # binary fractions: exact in float32
    visible_cxcywh = [0.875, 0.25, 0.25, 0.25]  # of corners (0.75, 0.125, 1.0, 0.375)
    assert target_tokens(box, 101, "xywh").tolist() == [[int(v * 100) for v in visible_cxcywh]]
    clamped_after = boxes_to_tokens(torch.tensor([[1.0, 0.25, 0.5, 0.25]]), 101)  # cx clamped: another box
    assert target_tokens(box, 101, "xywh").tolist() != clamped_after.tolist()
    assert target_tokens(box, 101, "xyxy").tolist() == [[75, 12, 100, 37]]
    outside = torch.tensor([[1.25, 1.5, 0.125, 0.125]])  # wholly outside: a zero-size box at the corner
    assert target_tokens(outside, 101, "xywh").tolist() == [[100, 100, 0, 0]]


def test_sequences_from_tokens_wrap_the_coordinates():
    seq_input, seq_target = sequences_from_tokens(torch.tensor([[1, 2, 3, 4]]), 10)
    assert seq_input.tolist() == [[11, 1, 2, 3, 4]] and seq_target.tolist() == [[1, 2, 3, 4, 10]]


def test_round_trip_is_within_one_bin():
    generator = torch.Generator().manual_seed(0)
    for bins in (100, 4000):
        boxes = torch.rand(256, 4, generator=generator)
        decoded = tokens_to_boxes(boxes_to_tokens(boxes, bins), bins)
        error = boxes - decoded
        assert error.min() >= 0  # floor: never above the true value
        assert error.max() < 1.0 / (bins - 1)


def test_tokens_to_boxes_inverts_boxes_to_tokens_exactly_on_bins():
    tokens = torch.tensor([[0, 17, 64, 99]])
    assert torch.equal(boxes_to_tokens(tokens_to_boxes(tokens, 100) + 1e-6, 100), tokens)


def test_sequences_are_start_then_coords_and_coords_then_end():
    boxes = torch.tensor([[0.0, 0.5, 1.0, 0.25], [0.1, 0.2, 0.3, 0.4]])
    seq_input, seq_target = build_sequences(boxes, 101)
    coords = boxes_to_tokens(boxes, 101)
    assert seq_input.shape == seq_target.shape == (2, 5)
    assert seq_input[:, 0].tolist() == [102, 102]
    assert seq_target[:, -1].tolist() == [101, 101]
    assert torch.equal(seq_input[:, 1:], coords)
    assert torch.equal(seq_target[:, :4], coords)
    # teacher forcing: the input is the target shifted right by one
    assert torch.equal(seq_input[:, 1:], seq_target[:, :-1])


def test_wrong_box_shape_is_an_error():
    with pytest.raises(ValueError, match=r"\[\.\.\., 4\]"):
        boxes_to_tokens(torch.zeros(2, 3), 100)
