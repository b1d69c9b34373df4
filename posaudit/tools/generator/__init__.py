"""``posaudit generate``: a realistic landing zone with injected exceptions and their labels."""

from posaudit.tools.generator.config import GenerateConfig, GenerateSummary
from posaudit.tools.generator.run import generate

__all__ = ["GenerateConfig", "GenerateSummary", "generate"]
