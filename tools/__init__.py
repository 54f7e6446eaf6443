"""Build-time tools of the repository (not shipped in the wheel): `python -m tools.build_notebooks`."""
