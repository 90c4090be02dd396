"""/api/v1/history/: signed tree heads, the public key, events, inclusion and consistency proofs.

Hashes are hex. A client verifies a proof with RFC 9162 §2.1.3.2 / §2.1.4.2 against a tree
head whose Ed25519 signature it checked with the published key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from wagewatch.cases.api import ErrorOut
from wagewatch.core.models import Role
from wagewatch.core.values import bounded_int

from . import signing, tree
from .models import Event, TreeHead
from .services import HistoryIntegrityError, leaf_text, public_key_info, time_text, tree_head_publish

router = Router(tags=["防篡改历史"])

PUBLISH_ROLES = {Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}
EVENT_READER_ROLES = PUBLISH_ROLES | {Role.LABOUR_INSPECTOR}


class TreeHeadOut(Schema):
    tree_size: int
    root_hash: str
    timestamp_ms: int
    signed_at: datetime
    signature: str
    public_key: str
    key_id: str
    published_by: str

    @staticmethod
    def resolve_key_id(obj) -> str:
        return signing.key_id(bytes.fromhex(obj.public_key))


class PublishOut(Schema):
    created: bool
    message: str
    tree_head: TreeHeadOut | None


class PublicKeyOut(Schema):
    algorithm: str
    public_key_hex: str
    public_key_base64: str
    key_id: str
    signed_data_format: str


class EventOut(Schema):
    seq: int
    recorded_at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    action_label: str
    object_type: str
    object_id: str
    payload: Any
    leaf_data: str
    leaf_hash: str

    @staticmethod
    def resolve_payload(obj):
        return obj.payload_data

    @staticmethod
    def resolve_leaf_data(obj) -> str:
        return leaf_text(
            obj.seq,
            time_text(obj.recorded_at),
            obj.actor_id,
            obj.actor_label,
            obj.action,
            obj.object_type,
            obj.object_id,
            obj.payload,
        )


class InclusionOut(Schema):
    seq: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]
    root_hash: str
    tree_head: TreeHeadOut | None
    how_to_verify: str


class ConsistencyOut(Schema):
    first: int
    second: int
    proof: list[str]
    first_root: str
    second_root: str
    first_tree_head: TreeHeadOut | None
    second_tree_head: TreeHeadOut | None


# Sequence numbers and tree sizes: far above any log this platform will keep, far below what a
# bigint column or an offset can hold.
SEQ_MAX = 2**53
Seq = bounded_int(0, SEQ_MAX)
TreeSize = bounded_int(1, SEQ_MAX)
EventLimit = bounded_int(1, 1000)
HeadLimit = bounded_int(1, 500)
Offset = bounded_int(0, SEQ_MAX)


class EventFilter(Schema):
    object_type: str
    object_id: str
    limit: EventLimit = 200


class Paging(Schema):
    limit: HeadLimit = 20
    offset: Offset = 0


def _require(request, roles: set, what: str) -> None:
    if getattr(request.user, "role", None) not in roles:
        raise PermissionDenied(f"您的角色无权{what}")


def _published_size() -> int:
    head = tree.latest_tree_head()
    if head is None:
        raise HttpError(409, "尚未发布签名树头,请稍后再试或由清欠办立即发布")
    return head.tree_size


def _invalid(field: str, message: str):
    return DjangoValidationError({field: [message]})


@router.get("/tree-heads/latest", response={200: TreeHeadOut, 404: ErrorOut}, summary="最新的签名树头")
def tree_head_latest(request):
    head = tree.latest_tree_head()
    if head is None:
        raise Http404("尚未发布签名树头")
    return head


@router.get("/tree-heads", response=list[TreeHeadOut], summary="签名树头列表(规模从大到小)")
def tree_head_list(request, paging: Query[Paging]):
    if not 1 <= paging.limit <= 500:
        raise _invalid("limit", "每页条数应在 1 至 500 之间")
    if paging.offset < 0:
        raise _invalid("offset", "偏移量不能为负数")
    return list(TreeHead.objects.order_by("-tree_size")[paging.offset : paging.offset + paging.limit])


@router.post("/tree-heads", response={200: PublishOut, 201: PublishOut, 409: ErrorOut}, summary="立即发布签名树头(清欠办、系统管理员)")
def tree_head_create(request):
    _require(request, PUBLISH_ROLES, "发布树头")
    try:
        head = tree_head_publish(actor=request.user)
    except HistoryIntegrityError as exc:
        raise HttpError(409, f"拒绝发布树头:{exc}") from exc
    if head is None:
        return Status(
            200, {"created": False, "message": "自上次发布以来没有新事件,未发布新的树头", "tree_head": tree.latest_tree_head()}
        )
    return Status(201, {"created": True, "message": f"已发布规模为 {head.tree_size} 的签名树头", "tree_head": head})


@router.get("/public-key", response=PublicKeyOut, summary="树头签名公钥")
def public_key(request):
    return public_key_info()


@router.get("/events", response=list[EventOut], summary="某个对象的历史事件(清欠办、监察员、系统管理员)")
def event_list(request, filters: Query[EventFilter]):
    _require(request, EVENT_READER_ROLES, "查看历史事件")
    if not 1 <= filters.limit <= 1000:
        raise _invalid("limit", "条数应在 1 至 1000 之间")
    return list(
        Event.objects.filter(object_type=filters.object_type, object_id=filters.object_id).order_by("seq")[: filters.limit]
    )


@router.get("/events/{seq}", response=EventOut, summary="一条历史事件及其叶子数据(清欠办、监察员、系统管理员)")
def event_detail(request, seq: Seq):
    _require(request, EVENT_READER_ROLES, "查看历史事件")
    event = Event.objects.filter(seq=seq).first()
    if event is None:
        raise Http404("未找到该事件")
    return event


def _head_of_size(size: int) -> TreeHead | None:
    return TreeHead.objects.filter(tree_size=size).first()


@router.get("/proofs/inclusion", response={200: InclusionOut, 409: ErrorOut}, summary="包含证明:某事件在某规模的树中")
def inclusion_proof(request, seq: Seq, tree_size: TreeSize | None = None):
    published = _published_size()
    size = published if tree_size is None else tree_size
    if not 1 <= size <= published:
        raise _invalid("tree_size", f"树规模应在 1 至最新已发布规模 {published} 之间")
    if not 0 <= seq < size:
        raise _invalid("seq", f"序号应在 0 至 {size - 1} 之间;更新的事件将在下一次发布树头后可证明")
    try:
        proof = tree.inclusion_proof(seq, size)
    except HistoryIntegrityError as exc:
        raise HttpError(409, str(exc)) from exc
    return {
        "seq": seq,
        "tree_size": size,
        "leaf_hash": proof["leaf_hash"].hex(),
        "audit_path": [h.hex() for h in proof["audit_path"]],
        "root_hash": proof["root_hash"].hex(),
        "tree_head": _head_of_size(size),
        "how_to_verify": "按 RFC 9162 第 2.1.3.2 节,用 leaf_hash(= SHA-256(0x00 ‖ 事件 leaf_data 的 UTF-8 字节))与 audit_path "
        "逐层计算根哈希,应等于 root_hash,且该规模的树头签名应能用公钥验证",
    }


@router.get("/proofs/consistency", response={200: ConsistencyOut, 409: ErrorOut}, summary="一致性证明:较小的树是较大的树的前缀")
def consistency_proof(request, first: TreeSize, second: TreeSize | None = None):
    published = _published_size()
    second_size = published if second is None else second
    if not 1 <= second_size <= published:
        raise _invalid("second", f"树规模应在 1 至最新已发布规模 {published} 之间")
    if not 1 <= first <= second_size:
        raise _invalid("first", f"较小的树规模应在 1 至 {second_size} 之间")
    try:
        proof = tree.consistency_proof(first, second_size)
    except HistoryIntegrityError as exc:
        raise HttpError(409, str(exc)) from exc
    return {
        "first": first,
        "second": second_size,
        "proof": [h.hex() for h in proof["proof"]],
        "first_root": proof["first_root"].hex(),
        "second_root": proof["second_root"].hex(),
        "first_tree_head": _head_of_size(first),
        "second_tree_head": _head_of_size(second_size),
    }
