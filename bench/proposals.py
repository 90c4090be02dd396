"""Proposed code changes, applied in memory for a benchmark run with --proposals, so that figures
before and after a proposal come from the same benchmark. Nothing here is imported by the app.

Each proposal replaces a function only while its source is what the proposal was written against;
once the change is made in the code (or the code moved on), it says so and leaves the code alone.
See bench/README.md for the diffs themselves.
"""

from __future__ import annotations

import inspect

# intake/services.py, _duplicates: one OR across the complaint and its workers (a LEFT JOIN) cannot
# use the digest indexes, so every registration read every complaint. Two indexed lookups instead.
DUPLICATES_OLD = '''    phones, ids = _people_digests(c)
    people_complaints = Complaint.objects.filter(
        Q(complainant_phone_digest__in=phones)
        | Q(complainant_id_number_digest__in=ids)
        | Q(workers__phone_digest__in=phones)
        | Q(workers__id_number_digest__in=ids)
    )
    people_case_ids = set(people_complaints.values_list("case_id", flat=True)[:200])
'''
DUPLICATES_NEW = "    people_case_ids = _people_case_ids(c)\n"


def _people_case_ids(c, limit: int = 200) -> set[int]:
    """Cases naming a complainant or worker of this complaint (ID number or phone)."""
    from django.db.models import Q

    from wagewatch.intake.models import Complaint, ComplaintWorker
    from wagewatch.intake.services import _people_digests

    phones, ids = _people_digests(c)
    complainant = Q(complainant_phone_digest__in=phones)
    worker = Q(phone_digest__in=phones)
    if ids:
        complainant |= Q(complainant_id_number_digest__in=ids)
        worker |= Q(id_number_digest__in=ids)
    found = set(Complaint.objects.filter(complainant).order_by().values_list("case_id", flat=True)[:limit])
    found |= set(ComplaintWorker.objects.filter(worker).order_by().values_list("complaint__case_id", flat=True)[:limit])
    return found


def apply() -> list[str]:
    """Apply every proposal that still fits the code; returns a line per proposal for the output."""
    from wagewatch.intake import services

    source = inspect.getsource(services._duplicates)
    if DUPLICATES_OLD not in source:
        return ["intake.services._duplicates: 代码已改动,未套用提案(proposal not applied: the code changed)"]
    namespace = dict(services.__dict__)
    namespace["_people_case_ids"] = _people_case_ids
    exec(compile(source.replace(DUPLICATES_OLD, DUPLICATES_NEW), services.__file__, "exec"), namespace)  # noqa: S102
    services._duplicates = namespace["_duplicates"]
    return ["intake.services._duplicates: people found by two indexed lookups (proposal applied in memory)"]
