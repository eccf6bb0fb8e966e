"""Plots and ipywidgets explorers; every widget's update function is plain Python and unit-tested."""
