"""The findings of one month, computed in DuckDB over the CSV files `extract` wrote.

Rules of the computation (also in docs/payroll_reconciliation.md):

- Days attended: distinct local (Asia/Shanghai) dates with at least one punch in the month.
- Owed (应发) for a project worker and month M:
  * daily rate: days attended × rate;
  * monthly rate: rate × (calendar days on the roster within M / days of M), rounded to the fen,
    when the worker attended at least one day in M (0 otherwise). A full month on the roster gives
    the whole monthly rate;
  * piece rate: the month's `WorkQuantity` × rate (0 without a quantity).
  What is expected is the larger of that and the payroll line's amount due.
- Paid to the worker: disbursements from the special account to the worker's own bank card
  (payee account digest = the worker's bank card digest) that belong to M: `month` = M, or, when the
  bank left `month` empty, paid (local time) in the month after M. If two workers of a project
  registered the same card, a payment to it is the worker's whose name it carries.
- Pay day of M: day `WageAccount.pay_day` (15 without an account; the last day when the month is
  shorter) of the month after M. Findings about money not paid are raised only once the pay day
  has passed (`due_passed`); rule 1 only once the month after M is over.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from .extract import COLUMNS, MonthWindow

EVIDENCE_CAP = 500  # ids kept per list in a project-level finding's evidence


@dataclass(frozen=True)
class Rule:
    enabled: bool
    level: str
    threshold: Decimal | None
    secondary: Decimal | None


@dataclass
class Row:
    project_id: int
    kind: str
    subject: str
    project_worker_id: int | None
    amount: Decimal | None
    workers_affected: int
    detail: str  # JSON text
    evidence: str  # JSON text


def _num(value: Decimal | None, default: str) -> str:
    return str(value) if value is not None else default


def pay_day_of(w: MonthWindow, pay_day: int | None) -> date:
    days = calendar.monthrange(w.following.year, w.following.month)[1]
    return w.following.replace(day=min(pay_day or 15, days))


def load(con: duckdb.DuckDBPyConnection, paths: dict[str, Path]) -> None:
    for name, path in paths.items():
        cols = ", ".join(f"'{c}': '{t}'" for c, t in COLUMNS[name].items())
        con.execute(
            f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_csv('{path}', columns={{{cols}}}, header=false, "
            "auto_detect=false, nullstr='', quote='\"', escape='\"')"
        )


def compute(con: duckdb.DuckDBPyConnection, w: MonthWindow, rules: dict[str, Rule], *, as_of: date) -> list[Row]:
    """Run every enabled rule; returns the findings (without attendance ids: `engine` adds them)."""
    m, me, n = w.month.isoformat(), w.month_end.isoformat(), w.following
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "att_days" not in tables:  # SQLite sent one row per punch: fold them into a bit per local day
        con.execute(f"""CREATE OR REPLACE TABLE att_days AS
            SELECT pw, bit_or(CAST(1 AS BIGINT) << CAST(date_diff('day', DATE '{m}', day) AS INTEGER)) AS mask FROM att GROUP BY pw""")
    mdays = (w.following - w.month).days
    ndays = calendar.monthrange(n.year, n.month)[1]
    con.execute(f"""
        CREATE OR REPLACE TABLE pj AS SELECT id AS project_id, code, enterprise_id, outflows_m_n,
            make_date({n.year}, {n.month}, least(coalesce(pay_day, 15), {ndays})) AS payday,
            make_date({n.year}, {n.month}, least(coalesce(pay_day, 15), {ndays})) < DATE '{as_of.isoformat()}' AS due_passed
        FROM proj;
        CREATE OR REPLACE TABLE d AS SELECT pw, bit_count(mask) AS days, mask FROM att_days;
        -- the worker a payment names (payee name = a unique name on the project's roster)
        CREATE OR REPLACE TABLE nm1 AS
            SELECT b.id AS bid, min(p.id) AS named_pw
            FROM disb b JOIN pw p ON p.project_id = b.project_id AND p.name = b.payee_name
            GROUP BY b.id HAVING count(*) = 1;
        -- the owner of the payee account: the one worker of the project with that card, unless the
        -- payment names another worker; of several workers with that card, the one it names
        CREATE OR REPLACE TABLE om AS
            SELECT b.id AS bid, p.id AS pw, nm1.named_pw, count(*) OVER (PARTITION BY b.id) AS n
            FROM disb b JOIN pw p ON p.project_id = b.project_id AND p.card = b.acct
            LEFT JOIN nm1 ON nm1.bid = b.id;
        CREATE OR REPLACE TABLE b AS
            SELECT b.*, CAST(b.paid_local AS DATE) AS paid_date, o.own_pw, coalesce(o.owners, 0) AS owners, nm1.named_pw
            FROM disb b LEFT JOIN (
                SELECT bid, CASE WHEN max(n) = 1 AND (max(named_pw) IS NULL OR max(named_pw) = min(pw)) THEN min(pw)
                                 WHEN max(n) > 1 THEN min(pw) FILTER (WHERE pw = named_pw) END AS own_pw,
                       max(n) AS owners
                FROM om GROUP BY bid
            ) o ON o.bid = b.id
            LEFT JOIN nm1 ON nm1.bid = b.id;
        CREATE OR REPLACE TABLE own AS
            SELECT b.own_pw AS pw, sum(b.amount) AS paid, list(b.id ORDER BY b.id) AS ids,
                coalesce(sum(b.amount) FILTER (WHERE b.paid_date > pj.payday), 0) AS late_amount,
                list(b.id ORDER BY b.id) FILTER (WHERE b.paid_date > pj.payday) AS late_ids,
                max(b.paid_date) FILTER (WHERE b.paid_date > pj.payday) AS last_late
            FROM b JOIN pj USING (project_id) WHERE b.own_pw IS NOT NULL GROUP BY b.own_pw;
        -- payments naming a worker that went to an account not his own
        CREATE OR REPLACE TABLE named AS
            SELECT b.named_pw AS pw, b.id AS bid, b.acct, b.amount, b.project_id
            FROM b JOIN pw p ON p.id = b.named_pw
            WHERE b.own_pw IS DISTINCT FROM b.named_pw AND b.acct IS DISTINCT FROM p.card;
        CREATE OR REPLACE TABLE wm AS
            SELECT p.id AS pw, p.project_id, p.basis, p.rate, p.exit, p.settled, p.confirmed,
                coalesce(d.days, 0) AS days, q.quantity, l.id AS line_id, l.due, l.paid AS sheet_paid, coalesce(l.back_pay, 0) = 1 AS back_pay,
                coalesce(o.paid, 0) AS bank_paid, o.ids AS bank_ids, o.late_amount, o.late_ids, o.last_late,
                nm.ids AS named_ids, nm.amount AS named_amount,
                greatest(0, date_diff('day', greatest(p.entry, DATE '{m}'), least(coalesce(p.exit, DATE '{me}'), DATE '{me}')) + 1) AS roster_days,
                pj.payday, pj.due_passed
            FROM pw p JOIN pj USING (project_id)
            LEFT JOIN d ON d.pw = p.id LEFT JOIN qty q ON q.pw = p.id LEFT JOIN line l ON l.pw = p.id
            LEFT JOIN own o ON o.pw = p.id
            LEFT JOIN (SELECT pw, list(bid ORDER BY bid) AS ids, sum(amount) AS amount FROM named GROUP BY pw) nm ON nm.pw = p.id
            WHERE d.pw IS NOT NULL OR l.id IS NOT NULL OR o.pw IS NOT NULL OR nm.pw IS NOT NULL
                OR p.exit BETWEEN DATE '{m}' AND DATE '{me}';
        CREATE OR REPLACE TABLE wm2 AS
            SELECT *, greatest(owed, coalesce(due, 0)) AS expected,
                (line_id IS NOT NULL OR bank_paid > 0 OR named_amount IS NOT NULL) AS has_wage_record
            FROM (SELECT *, CAST(CASE basis
                    WHEN 'daily' THEN days * rate
                    WHEN 'monthly' THEN CASE WHEN days > 0 THEN round(CAST(rate AS DOUBLE) * roster_days / {mdays}, 2) ELSE 0 END
                    WHEN 'piece' THEN round(coalesce(quantity, 0) * rate, 2)
                    ELSE 0 END AS DECIMAL(14,2)) AS owed FROM wm);
        CREATE OR REPLACE TABLE pm AS
            SELECT project_id, any_value(payday) AS payday, bool_or(due_passed) AS due_passed,
                count(*) FILTER (WHERE days > 0) AS attending,
                -- attending workers paid to their own card: a worker paid without attending this
                -- month (back pay) does not make up for one who attended and got nothing
                count(*) FILTER (WHERE days > 0 AND bank_paid > 0) AS paid_people,
                count(*) FILTER (WHERE days = 0 AND bank_paid > 0) AS paid_not_attending,
                count(*) FILTER (WHERE days > 0 AND NOT has_wage_record) AS missing,
                sum(expected) FILTER (WHERE days > 0) AS expected_total,
                list(pw ORDER BY pw) FILTER (WHERE days > 0 AND bank_paid = 0) AS unpaid_pws,
                list(pw ORDER BY pw) FILTER (WHERE days > 0 AND NOT has_wage_record) AS missing_pws
            FROM wm2 GROUP BY project_id;
    """)
    worker_detail = (
        "'basis': basis, 'rate': rate, 'days': days, 'roster_days': roster_days, 'quantity': quantity, 'owed': owed, "
        "'amount_due': due, 'sheet_paid': sheet_paid, 'bank_paid': bank_paid, 'paid_to_others': named_amount, "
        "'pay_day': payday"
    )
    worker_evidence = "'payroll_line_ids': CASE WHEN line_id IS NULL THEN [] ELSE [line_id] END, 'disbursement_ids': coalesce(bank_ids, [])"
    parts: list[str] = []

    def on(kind: str) -> Rule | None:
        rule = rules.get(kind)
        return rule if rule is not None and rule.enabled else None

    if r := on("shortfall"):
        parts.append(f"""SELECT project_id, 'shortfall' AS kind, 'pw:' || pw AS subject, pw, expected - bank_paid AS amount, 1 AS workers,
            to_json({{{worker_detail}, 'expected': expected, 'shortfall': expected - bank_paid}}) AS detail,
            to_json({{{worker_evidence}}}) AS evidence
            FROM wm2 WHERE due_passed AND expected - bank_paid > {_num(r.threshold, '0')}""")
    if r := on("late_payment"):
        parts.append(f"""SELECT project_id, 'late_payment', 'pw:' || pw, pw, late_amount, 1,
            to_json({{{worker_detail}, 'last_paid_on': last_late, 'days_late': date_diff('day', payday, last_late)}}),
            to_json({{'disbursement_ids': late_ids}})
            FROM wm2 WHERE late_amount > 0 AND date_diff('day', payday, last_late) > {_num(r.threshold, '0')}""")
    if on("paid_to_other"):
        parts.append(f"""SELECT project_id, 'paid_to_other', 'pw:' || pw, pw, named_amount, 1,
            to_json({{{worker_detail}}}), to_json({{'disbursement_ids': named_ids}})
            FROM wm2 WHERE named_amount IS NOT NULL""")
        parts.append("""SELECT project_id, 'paid_to_other', 'acct:' || acct, NULL, sum(amount), 0,
            to_json({'payee_names': list(DISTINCT payee_name ORDER BY payee_name), 'payments': count(*), 'total': sum(amount)}),
            to_json({'disbursement_ids': list(id ORDER BY id)})
            FROM b WHERE own_pw IS NULL AND owners = 0 AND id NOT IN (SELECT bid FROM named)
            GROUP BY project_id, acct""")
    if r := on("shared_account"):
        parts.append(f"""WITH aw AS (
                SELECT project_id, card AS acct, id AS pw FROM pw WHERE card IS NOT NULL AND (project_id, card) IN (SELECT project_id, acct FROM b)
                UNION SELECT project_id, acct, pw FROM named),
            ac AS (SELECT project_id, acct, count(DISTINCT pw) AS workers, list(DISTINCT pw ORDER BY pw) AS pws FROM aw GROUP BY ALL),
            bt AS (SELECT project_id, acct, sum(amount) AS total, list(id ORDER BY id) AS ids FROM b GROUP BY ALL)
            SELECT ac.project_id, 'shared_account', 'acct:' || ac.acct, NULL, bt.total, ac.workers,
                to_json({{'workers': ac.workers, 'project_worker_ids': ac.pws, 'total': bt.total}}),
                to_json({{'disbursement_ids': bt.ids, 'project_worker_ids': ac.pws}})
            FROM ac JOIN bt USING (project_id, acct) WHERE ac.workers >= {_num(r.threshold, '2')}""")
    if on("no_outflow_on_pay_day"):
        parts.append(f"""SELECT pm.project_id, 'no_outflow_on_pay_day', 'project', NULL, pm.expected_total, pm.attending,
            to_json({{'pay_day': pm.payday, 'attending': pm.attending, 'expected_total': pm.expected_total,
                     'paid_after_pay_day': (SELECT count(*) FROM b WHERE b.project_id = pm.project_id)}}),
            to_json({{'disbursement_ids': (SELECT list(id ORDER BY id)[1:{EVIDENCE_CAP}] FROM b WHERE b.project_id = pm.project_id)}})
            FROM pm WHERE pm.due_passed AND pm.attending > 0
                AND NOT EXISTS (SELECT 1 FROM b WHERE b.project_id = pm.project_id AND b.paid_date <= pm.payday)""")
    if on("attendance_without_wage"):
        parts.append(f"""SELECT project_id, 'attendance_without_wage', 'pw:' || pw, pw, owed, 1,
            to_json({{{worker_detail}}}), to_json({{{worker_evidence}}})
            FROM wm2 WHERE due_passed AND days > 0 AND NOT has_wage_record""")
    if on("wage_without_attendance"):
        parts.append(f"""SELECT project_id, 'wage_without_attendance', 'pw:' || pw, pw, greatest(coalesce(due, 0), bank_paid), 1,
            to_json({{{worker_detail}}}), to_json({{{worker_evidence}}})
            FROM wm2 WHERE days = 0 AND basis <> 'piece' AND NOT back_pay AND (coalesce(due, 0) > 0 OR bank_paid > 0)""")
    if on("no_wage_from_account") and as_of >= w.after:
        parts.append(f"""SELECT pm.project_id, 'no_wage_from_account', 'project', NULL, pm.expected_total, pm.attending,
            to_json({{'attending': pm.attending, 'expected_total': pm.expected_total, 'months': ['{m}', '{n.isoformat()}']}}),
            to_json({{'project_worker_ids': (SELECT list(pw ORDER BY pw)[1:{EVIDENCE_CAP}] FROM wm2 WHERE wm2.project_id = pm.project_id AND days > 0)}})
            FROM pm JOIN pj USING (project_id) WHERE pm.attending > 0 AND pj.outflows_m_n = 0""")
    if r := on("low_average_pay"):
        parts.append(f"""SELECT project_id, 'low_average_pay', 'project', NULL, CAST(round(avg(paid), 2) AS DECIMAL(14,2)), count(*),
            to_json({{'lines': count(*), 'total_paid': sum(paid), 'average_paid': CAST(round(avg(paid), 2) AS DECIMAL(14,2))}}),
            to_json({{'payroll_line_ids': list(id ORDER BY id)[1:{EVIDENCE_CAP}]}})
            FROM line GROUP BY project_id HAVING avg(paid) < {_num(r.threshold, '1890')}""")
    if on("fewer_paid_than_attending"):
        parts.append(f"""SELECT project_id, 'fewer_paid_than_attending', 'project', NULL, NULL, attending - paid_people,
            to_json({{'attending': attending, 'paid': paid_people, 'paid_not_attending': paid_not_attending}}),
            to_json({{'project_worker_ids': unpaid_pws[1:{EVIDENCE_CAP}]}})
            FROM pm WHERE due_passed AND paid_people < attending""")
    if r := on("large_payment_to_one"):
        month_limit = _num(r.threshold, "50000")
        year_limit = _num(r.secondary, "1e18")
        parts.append(f"""WITH mt AS (SELECT project_id, acct, sum(amount) AS total, list(id ORDER BY id) AS ids, min(own_pw) AS pw FROM b GROUP BY ALL)
            SELECT mt.project_id, 'large_payment_to_one', 'acct:' || mt.acct, mt.pw,
                CASE WHEN mt.total > {month_limit} THEN mt.total ELSE y.total END, 1,
                to_json({{'month_total': mt.total, 'year_total': y.total, 'month_limit': {month_limit}, 'year_limit': {year_limit}}}),
                to_json({{'disbursement_ids': mt.ids}})
            FROM mt LEFT JOIN ytd y ON y.project_id = mt.project_id AND y.acct = mt.acct
            WHERE mt.total > {month_limit} OR coalesce(y.total, 0) > {year_limit}""")
    if on("exit_without_settlement"):
        parts.append(f"""SELECT project_id, 'exit_without_settlement', 'pw:' || pw, pw, NULL, 1,
            to_json({{{worker_detail}, 'exit_date': exit, 'settled_on': settled}}),
            to_json({{{worker_evidence}}})
            FROM wm2 WHERE exit BETWEEN DATE '{m}' AND DATE '{me}' AND exit < DATE '{as_of.isoformat()}' AND confirmed IS NULL""")
    if r := on("missing_wage_records"):
        parts.append(f"""SELECT project_id, 'missing_wage_records', 'project', NULL, NULL, missing,
            to_json({{'attending': attending, 'without_wage_record': missing, 'ratio': round(missing / attending, 4)}}),
            to_json({{'project_worker_ids': missing_pws[1:{EVIDENCE_CAP}]}})
            FROM pm WHERE due_passed AND attending > 0 AND missing / attending > {_num(r.threshold, '0.10')}""")
    if not parts:
        return []
    sql = "\nUNION ALL\n".join(f"SELECT * FROM ({p})" for p in parts)
    rows = con.execute(f"SELECT * FROM ({sql}) ORDER BY 1, 2, 3").fetchall()
    return [
        Row(int(p), kind, subject, None if pw is None else int(pw), None if amount is None else Decimal(str(amount)).quantize(Decimal("0.01")),
            int(workers or 0), detail, evidence)
        for p, kind, subject, pw, amount, workers, detail, evidence in rows
    ]
