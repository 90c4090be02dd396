"""Signal receivers, connected in NotifyConfig.ready()."""

from __future__ import annotations

from .services import worker_messages_for_transition


def case_transitioned_message_workers(sender, case, from_state: str, to_state: str, **kwargs) -> None:
    """Every state change of a case tells each complainant by SMS (written in the change's
    transaction, sent after it commits)."""
    worker_messages_for_transition(case=case, from_state=from_state, to_state=to_state)
