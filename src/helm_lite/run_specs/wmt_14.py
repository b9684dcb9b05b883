"""Run spec for HELM Lite's wmt_14 (to be written)."""
