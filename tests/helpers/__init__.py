"""Helpers the tests share, imported as ``tests.helpers.<module>`` (conftest.py files only
declare fixtures)."""
