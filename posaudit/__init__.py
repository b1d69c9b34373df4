"""posaudit: an audit warehouse for POS error transactions."""

__version__ = "0.1.0"
