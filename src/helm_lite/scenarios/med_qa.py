"""Scenario for HELM Lite's med_qa (to be written)."""
