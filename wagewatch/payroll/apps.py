from django.apps import AppConfig


class PayrollConfig(AppConfig):
    name = "wagewatch.payroll"
    label = "payroll"
    verbose_name = "工资支付监管"
