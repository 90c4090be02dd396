"""Signals of the case lifecycle.

`case_transitioned(sender=Case, case=Case, from_state=str, to_state=str, action=str, actor=User|str|None,
reason=str)` is sent by `cases.services` inside the transaction of every state change, after the
case row and its history event are written. Receivers that write rows (worker messages, staff
notifications) do it in that same transaction, so a message is never lost and never sent for a
change that rolled back; receivers that leave the database (SMS gateway) defer with
`transaction.on_commit`.
"""

from django.dispatch import Signal

case_transitioned = Signal()
