"""Errors for data that is missing, malformed or cannot be decoded (shared by training and tracking)."""


class DatasetError(ValueError):
    """Training data that cannot be used; the message names the file or value and what to do."""


class SampleRejected(DatasetError):
    """A drawn sample that cannot be used (its box cannot be cropped); the sampler draws it again."""
