"""Training data path: image loading, frame sampling, cropping and batching."""
