"""The error raised for training data that is missing, malformed or cannot be decoded."""


class DatasetError(ValueError):
    """Training data that cannot be used; the message names the file or value and what to do."""
