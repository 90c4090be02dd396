"""The one transition table of a case (django-oscar's pipeline habit): every state change is an
action named here, allowed only from the listed states, and done by the listed kinds of actor.

Actor kinds: "office" (window clerks, the wage-arrears office, administrators), "unit" (the active
lead unit's handlers and leaders, and labour inspectors acting as lead), "system" (the periodic
job and registration itself), "worker" (the complainant on the phone pages).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError

from .models import CaseState as S


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    actors: frozenset[str]


def _t(action, label, sources, target, actors) -> Transition:
    return Transition(action, label, frozenset(sources), target, frozenset(actors))


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("dispatch", "转办", {S.REGISTERED, S.RETURNED, S.REOPENED}, S.DISPATCHED, {"office", "system"}),
        _t("accept", "签收", {S.DISPATCHED}, S.ACCEPTED, {"unit"}),
        _t("return", "退回清欠办(分派有误)", {S.DISPATCHED, S.ACCEPTED}, S.RETURNED, {"unit"}),
        _t("verify", "开始核实", {S.ACCEPTED}, S.VERIFYING, {"unit"}),
        _t("handle", "核实完毕,开始处置", {S.VERIFYING, S.REOPENED}, S.HANDLING, {"unit"}),
        _t("resolve", "办结(已支付)", {S.VERIFYING, S.HANDLING}, S.RESOLVED, {"unit"}),
        _t("callback", "回访确认已解决", {S.RESOLVED}, S.CALLED_BACK, {"office"}),
        _t("reopen", "重新办理", {S.RESOLVED, S.CALLED_BACK, S.CLOSED}, S.REOPENED, {"office", "worker"}),
        _t("close", "结案", {S.CALLED_BACK}, S.CLOSED, {"office"}),
        # An automatic case of the reconciliation whose warning cleared (services.case_close_no_arrears
        # checks that): closed without payment evidence, since no wages were owed.
        _t("close_no_arrears", "核实无欠薪", {S.DISPATCHED, S.ACCEPTED, S.VERIFYING, S.HANDLING, S.REOPENED}, S.CLOSED, {"unit", "office"}),
        _t("merge", "并入其他案件", {S.REGISTERED, S.DISPATCHED, S.ACCEPTED, S.VERIFYING, S.HANDLING, S.RETURNED, S.REOPENED}, S.MERGED, {"office"}),
    ]
}


def transition_for(action: str, state: str) -> Transition:
    """The transition `action` from `state`; ValidationError in Chinese when not allowed."""
    try:
        t = TRANSITIONS[action]
    except KeyError:
        raise ValidationError(f"未知的办理动作“{action}”") from None
    if state not in t.sources:
        allowed = "、".join(S(s).label for s in sorted(t.sources))
        raise ValidationError(f"案件当前状态为“{S(state).label}”,不能{t.label}(只有{allowed}的案件可以{t.label})")
    return t


def check_actor(t: Transition, actor_kind: str) -> None:
    if actor_kind not in t.actors:
        raise PermissionDenied(f"您无权对该案件执行“{t.label}”")


def actions_from(state: str) -> list[Transition]:
    """Transitions available from a state (in table order)."""
    return [t for t in TRANSITIONS.values() if state in t.sources]
