"""Benchmarks print figures (medians and ratios measured in one run); none of them is a test."""
