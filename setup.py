"""What pyproject.toml cannot say on its own: the folders the project is known by install
under one name, and the dbt project ships inside the package.

``ingest/``, ``expectations/`` and ``dashboards/`` stay top-level folders in the checkout but
install as ``posaudit.ingest``, ``posaudit.expectations`` and ``posaudit.dashboards``, so the
wheel installs nothing but ``posaudit``. A built wheel carries the dbt project (models, macros,
seeds, data tests, profiles) and the default dq.yml, alerts.yml and cases.yml as
``posaudit/project/``; ``posaudit.resources`` finds it there, or in the checkout for an
editable install.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PACKAGE_DIRS = {
    "posaudit": "posaudit",
    "posaudit.ingest": "ingest",
    "posaudit.expectations": "expectations",
    "posaudit.dashboards": "dashboards",
}
# The dbt project and the default policies, as they sit at the top of the checkout.
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "dq.yml", "alerts.yml", "cases.yml")
PROJECT_DIRS = ("models", "macros", "seeds", "data-tests", "analyses")
# Folders inside the packages that hold data, not code (the dashboards' labels and glossary):
# listed as packages of their own so that setuptools ships them without a warning.
PACKAGE_DATA = {"posaudit.dashboards.locales": ["*.yml"]}


def packages() -> list[str]:
    found: list[str] = []
    for name, folder in PACKAGE_DIRS.items():
        found.append(name)
        found += [f"{name}.{sub}" for sub in find_packages(str(HERE / folder))]
    return found + list(PACKAGE_DATA)


class BuildWithProject(build_py):
    """Copy the dbt project into the built package (an editable install reads the checkout)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "posaudit" / "project"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name in PROJECT_FILES:
            shutil.copyfile(HERE / name, target / name)
        for name in PROJECT_DIRS:
            shutil.copytree(HERE / name, target / name,
                            ignore=shutil.ignore_patterns("__pycache__", ".gitkeep"))


setup(packages=packages(), package_dir=PACKAGE_DIRS, package_data=PACKAGE_DATA,
      cmdclass={"build_py": BuildWithProject})
