"""Tracking and evaluation: the SeqTrack tracker, running it over LaSOT, and the LaSOT metrics."""
