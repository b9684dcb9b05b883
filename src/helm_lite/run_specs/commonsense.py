"""Run spec for HELM Lite's commonsense (to be written)."""
