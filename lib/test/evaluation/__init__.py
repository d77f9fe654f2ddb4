"""Running a tracker over LaSOT test sequences, result files, and the LaSOT metrics and plots."""
