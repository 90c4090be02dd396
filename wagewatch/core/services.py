"""Writes for territories, organisations and users. Each runs in a transaction and records
its history event in that same transaction."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from wagewatch.history.services import event_append

from .models import Organisation, Role, Territory, User
from .passwords import validate_password


@transaction.atomic
def territory_create(*, actor, code: str, name: str, level: str, parent: Territory | None = None) -> Territory:
    territory = Territory(code=code, name=name, level=level, parent=parent)
    territory.full_clean()
    territory.save()
    event_append(actor=actor, action="territory.created", obj=territory, payload={"code": code, "name": name, "level": level})
    return territory


@transaction.atomic
def organisation_create(*, actor, name: str, kind: str, territory: Territory, **fields) -> Organisation:
    organisation = Organisation(name=name, kind=kind, territory=territory, **fields)
    organisation.full_clean()
    organisation.save()
    event_append(
        actor=actor,
        action="organisation.created",
        obj=organisation,
        payload={"name": name, "kind": kind, "territory": territory.code},
    )
    return organisation


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    password: str,
    role: str,
    organisation: Organisation | None,
    full_name: str = "",
    territory: Territory | None = None,
    phone: str = "",
    validate: bool = True,
) -> User:
    user = User(
        username=username,
        role=role,
        organisation=organisation,
        full_name=full_name,
        territory=territory,
        phone=phone,
        is_staff=role == Role.ADMINISTRATOR,
        is_superuser=role == Role.ADMINISTRATOR,
    )
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.full_clean(exclude=["password"])
    user.save()
    event_append(
        actor=actor,
        action="user.created",
        obj=user,
        payload={"username": username, "role": role, "organisation": organisation.pk if organisation else None},
    )
    return user


def user_is_locked(user: User) -> bool:
    return bool(user.locked_until and user.locked_until > timezone.now())


@transaction.atomic
def user_login_failed(*, user: User) -> User:
    """Count a failed sign-in on the account (shown to administrators). It locks nothing: the
    delays are `login_throttle`'s, so no one can lock someone else out by typing wrong passwords."""
    User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
    user.refresh_from_db(fields=["failed_logins"])
    return user


@transaction.atomic
def user_login_succeeded(*, user: User) -> None:
    User.objects.filter(pk=user.pk).update(failed_logins=0)


@transaction.atomic
def user_lock_expire(*, user: User) -> User:
    """Clear a lock whose time has run out, recording that the system lifted it."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.locked_until is None or user.locked_until > timezone.now():
        return user
    payload = {"reason": "expired", "locked_until": user.locked_until}
    user.locked_until = None
    user.failed_logins = 0
    user.save(update_fields=["failed_logins", "locked_until"])
    event_append(actor=None, action="user.unlocked", obj=user, payload=payload)
    return user


@transaction.atomic
def user_unlock(*, actor, user: User) -> User:
    from django.core.exceptions import PermissionDenied

    from .selectors import may_unlock

    if actor is not None and not may_unlock(actor):
        raise PermissionDenied("只有系统管理员或清欠办领导可以解锁账户")
    from .login_throttle import account_clear

    user = User.objects.select_for_update().get(pk=user.pk)
    payload = {"reason": "manual", "locked_until": user.locked_until, "throttles_cleared": account_clear(username=user.username)}
    user.failed_logins = 0
    user.locked_until = None
    user.save(update_fields=["failed_logins", "locked_until"])
    event_append(actor=actor, action="user.unlocked", obj=user, payload=payload)
    return user


@transaction.atomic
def user_password_change(*, actor: User, user: User, new_password: str) -> User:
    """Set a new password after the caller has checked the old one (or is resetting it).
    The password itself never reaches the history."""
    validate_password(new_password, user)
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    event_append(
        actor=actor,
        action="user.password_changed",
        obj=user,
        payload={"by_self": getattr(actor, "pk", None) == user.pk},
    )
    return user


@transaction.atomic
def personal_data_reveal(*, actor: User, obj, field_name: str) -> str:
    """Return the clear value of a protected field and record who saw it.

    The caller has already fetched `obj` through a scoped selector."""
    from django.core.exceptions import PermissionDenied

    from .protected import KIND_LABELS, ProtectedField, may_reveal

    field = obj._meta.get_field(field_name)
    if not isinstance(field, ProtectedField):
        raise PermissionDenied("该字段不是受保护的个人信息")
    if not may_reveal(actor, field.kind):
        raise PermissionDenied(f"您的角色无权查看完整的{KIND_LABELS[field.kind]}")
    event_append(
        actor=actor,
        action="personal_data.revealed",
        obj=obj,
        payload={"field": field_name, "kind": field.kind},
    )
    return getattr(obj, field_name)


@transaction.atomic
def free_text_reveal(*, actor: User, obj, field_name: str) -> str:
    """A free-text field with the personal numbers the actor's role may see shown clear (the
    others stay masked), recorded like a protected field's reveal. The caller has fetched `obj`
    through a scoped selector and checked that `field_name` is a free-text field it shows."""
    from django.core.exceptions import PermissionDenied

    from .protected import KIND_LABELS, may_reveal
    from .redact import kinds_in, redact_text

    text = getattr(obj, field_name) or ""
    kinds = {kind for kind in kinds_in(text) if may_reveal(actor, kind)}
    if not kinds:
        raise PermissionDenied("您的角色无权查看其中的完整号码")
    event_append(
        actor=actor,
        action="personal_data.revealed",
        obj=obj,
        payload={"field": field_name, "kinds": "、".join(KIND_LABELS[k] for k in sorted(kinds))},
    )
    return redact_text(text, keep=kinds)
