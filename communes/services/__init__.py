"""Writes of the communes app.

Grown into a package (Django-Styleguide: "services.py that grows becomes services/");
everything is importable from ``communes.services`` as before.
"""

from communes.services.units import UNITS_FILE, LoadResult, units_load

__all__ = ["UNITS_FILE", "LoadResult", "units_load"]
