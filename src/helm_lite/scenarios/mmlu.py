"""Scenario for HELM Lite's mmlu (to be written)."""
