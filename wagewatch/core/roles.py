"""The roles a user acts in. Apart from models.py so that `protected.py` (which the models use for
their encrypted fields) can name them without importing the models."""

from django.db import models


class Role(models.TextChoices):
    WINDOW_CLERK = "window_clerk", "专窗受理员"
    UNIT_HANDLER = "unit_handler", "责任单位经办人"
    UNIT_LEADER = "unit_leader", "责任单位负责人"
    LABOUR_INSPECTOR = "labour_inspector", "劳动保障监察员"
    GRID_WORKER = "grid_worker", "网格员"
    OFFICE_STAFF = "office_staff", "清欠办工作人员"
    OFFICE_LEADER = "office_leader", "清欠办领导"
    PROJECT_LABOUR_MANAGER = "project_labour_manager", "劳资专管员"
    DATA_PROVIDER = "data_provider", "数据接口用户"
    ADMINISTRATOR = "administrator", "系统管理员"
