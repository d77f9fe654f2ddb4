"""The SeqTrack tracker: box mapping and clipping, tracking a generated sequence, cache, template updates."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from configs import SCRATCH, tiny_config

from lib.config.seqtrack.config import ConfigError
from lib.data.frames import decode_frame
from lib.data.lasot.test_set import load_test_sequence
from lib.models.seqtrack import build_seqtrack
from lib.test.evaluation.running import track_sequence
from lib.test.tracker.seqtrack import SeqTrackTracker, clip_box, crop_to_frame_box
from lib.utils.crop import crop_window

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny_lasot(tmp_path_factory):
    from lib.data.synthetic.lasot import make_synthetic_lasot

    root = tmp_path_factory.mktemp("lasot_tracker")
    return make_synthetic_lasot(root, ["mouse"], sequences=20, frames=24, size=(96, 72), seed=1, workers=1)


def tiny_net(seed: int = 0):
    torch.manual_seed(seed)
    return build_seqtrack(tiny_config(SCRATCH)).eval()


class FixedBoxNet(torch.nn.Module):
    """A stand-in network that always decodes the same normalised box (token order) and confidence."""

    def __init__(self, box, confidence: float = 0.5):
        super().__init__()
        self.box = torch.tensor([box], dtype=torch.float32)
        self.confidence = torch.tensor([confidence])
        self.template_batches = []

    def encode(self, template_images, search_images):
        self.template_batches.append(template_images.clone())
        return torch.zeros(1, 4, 8)

    def inference(self, memory, window=False, use_cache=True):
        return self.box.clone(), self.confidence.clone()


def _frames(count: int, width: int = 120, height: int = 90):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (height, width, 3), dtype=np.uint8) for _ in range(count)]


def _inside(box, width, height) -> bool:
    x, y, w, h = box
    return w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= width + 1e-9 and y + h <= height + 1e-9


def test_clip_box_keeps_boxes_inside_with_a_minimum_size():
    assert clip_box([10, 20, 30, 40], 100, 200) == [10, 20, 30, 40]
    assert clip_box([-15, 5, 30, 40], 100, 200) == [0, 5, 15, 40]  # left part cut off
    assert clip_box([250, 5, 30, 40], 100, 200) == [190, 5, 10, 40]  # fully out on the right: a margin remains
    assert clip_box([50, 50, 0, 0], 100, 200) == [50, 50, 10, 10]  # collapsed: minimum size
    assert clip_box([50, 50, -20, 3], 100, 200) == [50, 50, 10, 10]  # inverted
    x, y, w, h = clip_box([3, 2, 50, 50], 6, 8)  # frame smaller than the margin
    assert _inside((x, y, w, h), 8, 6)


def test_network_box_maps_back_to_frame_pixels():
    previous = [40.0, 30.0, 20.0, 10.0]
    window = crop_window(previous, 4.0)  # side ceil(sqrt(200) * 4) = 57, centred on (50, 35)
    assert window.side == 57
    side_norm = 20 / 57, 10 / 57
    same = crop_to_frame_box(torch.tensor([0.5, 0.5, *side_norm]), "xywh", window, 64)
    assert same == pytest.approx(previous)
    corners = crop_to_frame_box(torch.tensor([0.5 - side_norm[0] / 2, 0.5 - side_norm[1] / 2,
                                              0.5 + side_norm[0] / 2, 0.5 + side_norm[1] / 2]), "xyxy", window, 64)
    assert corners == pytest.approx(previous)
    moved = crop_to_frame_box(torch.tensor([0.75, 0.5, *side_norm]), "xywh", window, 64)
    assert moved == pytest.approx([40.0 + 0.25 * 57, 30.0, 20.0, 10.0])  # a quarter crop to the right


def test_tracks_a_generated_sequence_with_boxes_inside_the_frame(tiny_lasot):
    sequence = load_test_sequence(tiny_lasot, "mouse-1")
    tracker = SeqTrackTracker(tiny_net(), tiny_config(SCRATCH))
    boxes, times = track_sequence(tracker, sequence)
    height, width = decode_frame(sequence.frames[0]).shape[:2]
    assert boxes.shape == (len(sequence), 4) and times.shape == (len(sequence),)
    assert boxes[0].tolist() == sequence.ground_truth[0].tolist()
    assert all(_inside(box, width, height) for box in boxes)
    assert (times > 0).all()


def test_cache_and_no_cache_give_identical_boxes(tiny_lasot):
    sequence = load_test_sequence(tiny_lasot, "mouse-8")
    net, cfg = tiny_net(seed=3), tiny_config(SCRATCH)
    cached, _ = track_sequence(SeqTrackTracker(net, cfg, use_cache=True), sequence)
    uncached, _ = track_sequence(SeqTrackTracker(net, cfg, use_cache=False), sequence)
    np.testing.assert_array_equal(cached, uncached)


def test_keeps_tracking_when_the_box_runs_off_the_frame():
    frames = _frames(25)
    net = FixedBoxNet([1.0, 0.5, 0.3, 0.2])  # always at the crop's right edge
    tracker = SeqTrackTracker(net, tiny_config(SCRATCH))
    tracker.initialize(frames[0], [50, 40, 12, 10])
    boxes = [tracker.track(frame).box for frame in frames[1:]]
    assert all(_inside(box, 120, 90) for box in boxes)
    assert boxes[-1][0] + boxes[-1][2] == pytest.approx(120)  # pushed against the right border, still tracked


def test_collapsed_predictions_get_the_minimum_size():
    frames = _frames(5)
    tracker = SeqTrackTracker(FixedBoxNet([0.5, 0.5, 0.0, 0.0]), tiny_config(SCRATCH))
    tracker.initialize(frames[0], [50, 40, 12, 10])
    for frame in frames[1:]:
        x, y, w, h = tracker.track(frame).box
        assert (w, h) == (10, 10) and _inside((x, y, w, h), 120, 90)


def _second_template_changes(confidence: float, threshold: float, interval: int = 2, frames: int = 5) -> list:
    cfg = tiny_config(SCRATCH, **{"TEST.UPDATE_INTERVALS.LASOT": [interval],
                                  "TEST.UPDATE_THRESHOLD.LASOT": [threshold]})
    net = FixedBoxNet([0.6, 0.55, 0.3, 0.3], confidence)
    tracker = SeqTrackTracker(net, cfg)
    images = _frames(frames)
    tracker.initialize(images[0], [50, 40, 12, 10])
    for image in images[1:]:
        tracker.track(image)
    batches = net.template_batches  # templates seen by frames 1, 2, ...
    assert all(torch.equal(b[0], batches[0][0]) for b in batches)  # the first template never changes
    return [not torch.equal(b[1], batches[0][1]) for b in batches]


def test_second_template_updates_every_interval_above_the_threshold():
    # net.inference's confidence is the plain sum of 4 probabilities; the update compares 10 x that sum
    # with UPDATE_THRESHOLD, as the original: 0.07 -> 0.7 > 0.6 updates, 0.05 -> 0.5 does not.
    assert _second_template_changes(confidence=0.07, threshold=0.6) == [False, False, True, True]
    assert _second_template_changes(confidence=0.05, threshold=0.6) == [False] * 4


def test_bad_inputs_are_refused_with_clear_errors():
    tracker = SeqTrackTracker(FixedBoxNet([0.5, 0.5, 0.2, 0.2]), tiny_config(SCRATCH))
    frame = _frames(1)[0]
    with pytest.raises(RuntimeError, match="initialize"):
        tracker.track(frame)
    with pytest.raises(ValueError, match="positive width and height"):
        tracker.initialize(frame, [10, 10, 0, 5])
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        tracker.initialize(frame[..., 0], [10, 10, 5, 5])
    with pytest.raises(ConfigError, match="GOT"):
        SeqTrackTracker(FixedBoxNet([0.5] * 4), tiny_config(SCRATCH), dataset_name="nosuchbench")
    with pytest.raises(ConfigError, match="TEST.SEARCH_SIZE"):
        SeqTrackTracker(FixedBoxNet([0.5] * 4), tiny_config(SCRATCH, **{"TEST.SEARCH_SIZE": 128}))
