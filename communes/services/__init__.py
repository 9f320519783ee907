"""Writes of the communes app: units, steering committees, the evidence workflow, practices.

Grown into a package (Django-Styleguide: "services.py that grows becomes services/");
everything is importable from ``communes.services`` as before.
"""

from communes.services.committees import (
    committee_member_delete,
    committee_member_save,
    committee_save,
    commune_launch_set,
)
from communes.services.deadlines import deadline_extension_grant
from communes.services.evidence import (
    CarryOverRefused,
    ChecklistClosed,
    EvidenceConflict,
    EvidenceIncomplete,
    SaveResult,
    evidence_approve,
    evidence_carry_over,
    evidence_file_delete,
    evidence_reopen,
    evidence_return,
    evidence_save,
    evidence_submit,
    missing_parts,
)
from communes.services.practices import practice_adopt
from communes.services.units import UNITS_FILE, LoadResult, units_load

__all__ = [
    "ChecklistClosed",
    "UNITS_FILE",
    "CarryOverRefused",
    "EvidenceConflict",
    "EvidenceIncomplete",
    "LoadResult",
    "SaveResult",
    "committee_member_delete",
    "committee_member_save",
    "committee_save",
    "deadline_extension_grant",
    "commune_launch_set",
    "evidence_approve",
    "evidence_carry_over",
    "evidence_file_delete",
    "evidence_reopen",
    "evidence_return",
    "evidence_save",
    "evidence_submit",
    "missing_parts",
    "practice_adopt",
    "units_load",
]
