"""Complaints from every channel, the workers they name, evidence files and import batches.

A complaint is registered once: it always belongs to a case (`cases.Case`). The first complaint
of a case is its origin; complaints merged in by a clerk, or repeats of the same complaint, are
linked to the case and never open a second one.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from wagewatch.core.models import Industry, Territory
from wagewatch.core.protected import ID_NUMBER, PHONE, DigestField, ProtectedField
from wagewatch.core.redact import RedactedJSONField
from wagewatch.registry.models import Enterprise, Project


class Channel(models.TextChoices):
    WINDOW = "window", "专窗受理"
    HOTLINE_12345 = "hotline_12345", "12345热线"
    POLICE_110 = "police_110", "110劳资纠纷警情"
    PETITION = "petition", "信访"
    LABOUR_INSPECTION = "labour_inspection", "劳动监察举报"
    NATIONAL_PLATFORM = "national_platform", "全国根治欠薪线索反映平台"
    WORKER_PHONE = "worker_phone", "扫码投诉(手机)"
    GRID_WORKER = "grid_worker", "网格员上报"
    PUBLIC_OPINION = "public_opinion", "舆情监测"
    RECONCILIATION = "reconciliation", "工资核对预警(自动立案)"


# Channels that send clues by batch file or API with their own ids and received times.
EXTERNAL_CHANNELS = {Channel.HOTLINE_12345, Channel.POLICE_110, Channel.PETITION, Channel.NATIONAL_PLATFORM}


class ImportBatch(models.Model):
    """One batch file of clues from a channel (hotline, 110, petition, national platform)."""

    channel = models.CharField("渠道", max_length=32, choices=Channel.choices)
    file_name = models.CharField("文件名", max_length=255)
    file_sha256 = models.CharField("文件摘要", max_length=64, db_index=True)
    row_count = models.PositiveIntegerField("行数", default=0)
    created_count = models.PositiveIntegerField("新登记", default=0)
    linked_count = models.PositiveIntegerField("并入已有案件", default=0)
    unchanged_count = models.PositiveIntegerField("已登记过(未变化)", default=0)
    rejected_count = models.PositiveIntegerField("退回行数", default=0)
    report = RedactedJSONField("导入报告", default=dict, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="导入人", null=True, on_delete=models.SET_NULL)
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        verbose_name = "批量导入"
        verbose_name_plural = "批量导入"
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.file_name}"


class Complaint(models.Model):
    """One report of wage arrears from one channel, as the complainant gave it."""

    class Relation(models.TextChoices):
        ORIGIN = "origin", "首次登记"
        MERGED = "merged", "并案"
        REPEAT = "repeat", "重复投诉(关联)"

    number = models.CharField("投诉编号", max_length=24, unique=True)
    channel = models.CharField("渠道", max_length=32, choices=Channel.choices, db_index=True)
    external_id = models.CharField("渠道编号", max_length=64, blank=True, default="")
    received_at = models.DateTimeField("收到时间")
    registered_at = models.DateTimeField("登记时间", auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    batch = models.ForeignKey(ImportBatch, verbose_name="导入批次", null=True, blank=True, on_delete=models.SET_NULL)
    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.PROTECT, related_name="complaints")
    relation = models.CharField("与案件关系", max_length=16, choices=Relation.choices, default=Relation.ORIGIN)

    complainant_name = models.CharField("投诉人姓名", max_length=50)
    complainant_phone = ProtectedField("投诉人手机号", kind=PHONE)
    complainant_phone_digest = DigestField(source="complainant_phone", kind=PHONE)
    complainant_id_number = ProtectedField("投诉人身份证号", kind=ID_NUMBER)
    complainant_id_number_digest = DigestField(source="complainant_id_number", kind=ID_NUMBER)

    worker_count = models.PositiveIntegerField("涉及人数", default=1)
    amount_owed = models.DecimalField("欠薪金额(元)", max_digits=14, decimal_places=2, default=Decimal("0"))
    period_start = models.DateField("欠薪期间起", null=True, blank=True)
    period_end = models.DateField("欠薪期间止", null=True, blank=True)

    employer = models.ForeignKey(Enterprise, verbose_name="用人单位", null=True, blank=True, on_delete=models.PROTECT, related_name="complaints")
    employer_name = models.CharField("用人单位名称", max_length=200)
    employer_name_normalised = models.CharField("用人单位名称(规范化)", max_length=200, db_index=True, editable=False)
    employer_credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True, default="", db_index=True)
    project = models.ForeignKey(Project, verbose_name="项目", null=True, blank=True, on_delete=models.PROTECT, related_name="complaints")
    project_name = models.CharField("项目名称", max_length=200, blank=True, default="")
    site_address = models.CharField("工地/工作地点", max_length=255, blank=True, default="")
    territory = models.ForeignKey(Territory, verbose_name="所属辖区", on_delete=models.PROTECT, related_name="complaints")
    industry = models.CharField("行业", max_length=32, choices=Industry.choices, default=Industry.OTHER)
    subcontracting_chain = models.CharField("分包链条(包工头/班组长)", max_length=500, blank=True, default="")
    description = models.TextField("投诉内容", blank=True, default="")
    legal_aid_requested = models.BooleanField("申请法律援助", default=False)

    class Meta:
        verbose_name = "投诉"
        verbose_name_plural = "投诉"
        ordering = ["-received_at"]
        constraints = [
            # A channel's clue id is registered once: a resent clue or a re-imported file finds it.
            models.UniqueConstraint(
                fields=["channel", "external_id"], condition=~Q(external_id=""), name="unique_complaint_channel_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["case", "received_at"]),
            # The ledger finds cases by a complainant's exact name (cases.selectors.ledger_search).
            models.Index(fields=["complainant_name"], name="complaint_complainant_name"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.complainant_name}"


class ComplaintWorker(models.Model):
    """A worker named in a complaint besides the complainant (group complaints)."""

    complaint = models.ForeignKey(Complaint, verbose_name="投诉", on_delete=models.CASCADE, related_name="workers")
    name = models.CharField("姓名", max_length=50)
    phone = ProtectedField("手机号", kind=PHONE)
    phone_digest = DigestField(source="phone", kind=PHONE)
    id_number = ProtectedField("身份证号", kind=ID_NUMBER)
    id_number_digest = DigestField(source="id_number", kind=ID_NUMBER)
    amount_owed = models.DecimalField("欠薪金额(元)", max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = "涉及劳动者"
        verbose_name_plural = "涉及劳动者"
        indexes = [models.Index(fields=["name"], name="complaint_worker_name")]

    def __str__(self) -> str:
        return self.name


def evidence_upload_to(instance, filename: str) -> str:
    # The stored name never reuses the uploader's file name (path tricks, personal names).
    return f"evidence/{instance.uploaded_at:%Y/%m}/{instance.sha256[:2]}/{instance.sha256}.{instance.extension.lstrip('.')}"


class Evidence(models.Model):
    """A file supporting a complaint or a case: photos of pay slips, chat records, IOUs, PDFs."""

    class Purpose(models.TextChoices):
        COMPLAINT = "complaint", "投诉证据"
        HANDLING = "handling", "办理材料"
        CLOSURE = "closure", "结案凭证(支付凭证等)"

    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.PROTECT, related_name="evidence")
    complaint = models.ForeignKey(Complaint, verbose_name="投诉", null=True, blank=True, on_delete=models.PROTECT, related_name="evidence")
    purpose = models.CharField("用途", max_length=16, choices=Purpose.choices, default=Purpose.COMPLAINT)
    file = models.FileField("文件", upload_to=evidence_upload_to, max_length=255)
    original_name = models.CharField("原文件名", max_length=255, blank=True, default="")
    content_type = models.CharField("文件类型", max_length=64)
    extension = models.CharField("扩展名", max_length=8)
    size = models.PositiveIntegerField("大小(字节)")
    sha256 = models.CharField("SHA-256", max_length=64)
    description = models.CharField("说明", max_length=200, blank=True, default="")
    uploaded_at = models.DateTimeField("上传时间")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by_worker = models.BooleanField("劳动者本人上传", default=False)

    class Meta:
        verbose_name = "证据材料"
        verbose_name_plural = "证据材料"
        ordering = ["uploaded_at"]
        indexes = [models.Index(fields=["case", "purpose"])]

    def __str__(self) -> str:
        return self.original_name or self.sha256[:12]
