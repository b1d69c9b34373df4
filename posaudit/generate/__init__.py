"""``posaudit generate``: a realistic landing zone with injected exceptions and their labels."""

from posaudit.generate.config import GenerateConfig, GenerateSummary
from posaudit.generate.run import generate

__all__ = ["GenerateConfig", "GenerateSummary", "generate"]
