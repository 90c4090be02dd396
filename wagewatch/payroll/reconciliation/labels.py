"""Chinese wording of the reconciliation's history events (registered in PayrollConfig.ready)."""

ACTION_LABELS = {
    "payroll.reconcile": "工资核对",
    "payroll.finding_rule_update": "修改核对规则",
    "payroll.case_opening_rule_update": "修改自动立案规则",
    "payroll.reconcile_resumed": "工资核对中断后重新排队",
    "payroll.reconcile_interrupted": "工资核对中断",
    "payroll.warning_cleared": "工资核对预警解除,已通知责任单位",
}
PAYLOAD_KEY_LABELS = {
    "findings_found": "发现问题数",
    "findings_new": "新发现",
    "findings_resolved": "已消除",
    "findings_by_kind": "按类型",
    "reconciliation_run": "核对批次",
    "month": "月份",
    "chunk": "第几批",
    "projects": "项目数",
    "attempt": "第几次运行",
    "last_heartbeat": "最后心跳时间",
    "projects_done": "已核对项目数",
    "projects_total": "项目总数",
    "findings": "剩余问题数",
    "grace_days": "发薪日后宽限天数",
    "incomplete_wait_days": "数据未齐时再等天数",
    "min_level": "立案预警等级",
    "min_shortfall_total": "立案少发工资合计",
    "min_workers_affected": "立案涉及工人数",
}
