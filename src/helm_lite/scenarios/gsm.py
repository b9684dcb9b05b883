"""Scenario for HELM Lite's gsm (to be written)."""
