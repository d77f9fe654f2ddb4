"""SeqTrack: a ViT encoder and an autoregressive decoder that writes the target box as four tokens."""

from lib.models.seqtrack.loading import load_pretrained
from lib.models.seqtrack.seqtrack import (
    ENCODER_PREFIX,
    SeqTrack,
    build_seqtrack,
    encoder_parameters,
    non_encoder_parameters,
)
from lib.models.seqtrack.tokens import (
    boxes_to_tokens,
    build_sequences,
    end_token,
    start_token,
    tokens_to_boxes,
    vocab_size,
)

__all__ = [
    "ENCODER_PREFIX",
    "SeqTrack",
    "build_seqtrack",
    "load_pretrained",
    "encoder_parameters",
    "non_encoder_parameters",
    "boxes_to_tokens",
    "build_sequences",
    "end_token",
    "start_token",
    "tokens_to_boxes",
    "vocab_size",
]
