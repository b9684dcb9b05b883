"""Scenario for HELM Lite's natural_qa (to be written)."""
