"""Run spec for HELM Lite's narrative_qa (to be written)."""
