"""ImageNet VID training videos, one sequence per object track (the original's VID dataset)."""
