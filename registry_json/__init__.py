"""Curated model registry data: one ``<provider>.json`` file per provider, shipped in the wheel."""
