"""Training datasets (LaSOT) and the synthetic LaSOT-format generator."""
