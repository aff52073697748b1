"""Typed stage parameters: every knob's default, unit, range, help and config key, defined once."""
