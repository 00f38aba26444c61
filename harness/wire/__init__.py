"""Helpers every emulated service's routes share."""
