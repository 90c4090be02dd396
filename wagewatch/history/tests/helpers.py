from django.db import transaction

from wagewatch.history.services import event_append


def append_events(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with transaction.atomic():
            event_append(actor=None, action="case.dispatched", obj=("cases.case", i % 5), payload={"i": i, "单位": "东城街道"})
