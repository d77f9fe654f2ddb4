"""Errors for data that is missing, malformed or cannot be decoded (shared by training and tracking)."""


class DatasetError(ValueError):
    """Training data that cannot be used; the message names the file or value and what to do."""
