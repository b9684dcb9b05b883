"""Scenario for HELM Lite's legalbench (to be written)."""
