"""Your own videos as a training dataset: one folder per video with its frames and groundtruth.txt."""
