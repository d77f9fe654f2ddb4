"""Trackers that follow one target through a sequence, frame by frame."""

from lib.test.tracker.seqtrack import SeqTrackTracker, TrackerParams, TrackOutput, clip_box

__all__ = ["SeqTrackTracker", "TrackerParams", "TrackOutput", "clip_box"]
