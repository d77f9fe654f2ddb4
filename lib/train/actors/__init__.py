"""Actors: run the network on a batch and turn its output into a loss and logged stats."""

from lib.train.actors.seqtrack import SeqTrackActor, build_actor

__all__ = ["SeqTrackActor", "build_actor"]
