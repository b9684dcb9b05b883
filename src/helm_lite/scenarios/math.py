"""Scenario for HELM Lite's math (to be written)."""
