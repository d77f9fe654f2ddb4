"""The error a model builder raises for settings or weight files that do not fit the network."""


class ModelConfigError(ValueError):
    """An encoder type, feature type or pretrained-weights file that cannot build this model."""
