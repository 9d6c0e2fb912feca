"""Deterministic demo ERP/CRM extract for the AR risk platform.

Writes every table of :mod:`ar_risk.contract` as landing files (CSV or Parquet) for a
simulated company selling to Chinese and a few foreign customers, plus a ground-truth
file with each customer's behaviour archetype (never part of the landing data).

Everything is vectorised with numpy/pyarrow and driven by ``np.random.default_rng``
seeded from ``(seed, stream, block)``: the same arguments give byte-identical files,
and no wall-clock time reaches the data. Customer-level tables are built once;
document-level tables are simulated per block of customers and written as one part
file per block, so memory stays flat at any scale.

Archetypes (how each shows in the data):

* ``strategic_strong_payer``: largest invoices, ``account_tier = strategic``, pays 10-35 days
  late with low variance, always in full, promises kept, no write-offs.
* ``dishonest_delayer``: decent size and A/B rating, pays 30-150 days late, many broken
  promises and refusals, disputes that end up rejected.
* ``cash_strapped``: lateness grows after a turning point, partial payments, unpaid balance
  in the last months, credit limit cut, write-offs, litigation / negative-news flags.
* ``potential_grower``: customer for the last 12-18 months, monthly volume and amounts rising,
  pays on time or slightly late, credit limit raised.
* ``legacy_problem``: pays like a good payer, but exactly one invoice over 365 days past due is
  still open at the as-of date, usually with an open dispute.
* ``good_payer``: pays around the due date, rarely chased.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ar_risk.contract import (
    ACTIVITY_CHANNELS,
    ACTIVITY_OUTCOMES,
    ARROW_TYPES,
    CONTACT_CHANNELS,
    DISPUTE_REASONS,
    DISPUTE_STATUSES,
    TABLES,
)

SCALES: dict[str, int] = {"XS": 150, "S": 2_000, "M": 20_000, "L": 200_000}
ARCHETYPES: tuple[str, ...] = (
    "strategic_strong_payer",
    "dishonest_delayer",
    "cash_strapped",
    "potential_grower",
    "legacy_problem",
    "good_payer",
)
ARCHETYPE_SHARES = (0.08, 0.10, 0.10, 0.15, 0.12, 0.45)
STRATEGIC, DELAYER, CASH, GROWER, LEGACY, GOOD = range(len(ARCHETYPES))

REPORTING_CURRENCY = "CNY"
CURRENCIES = ("CNY", "USD", "EUR")
# Customers per simulated block: one part file per block keeps L (200k customers) in memory budget.
BLOCK_CUSTOMERS = 5_000
NULL_DAY = np.iinfo(np.int32).min  # sentinel for a null date in the int-day arrays
US_PER_DAY = 86_400_000_000
EPOCH = date(1970, 1, 1)

# Streams of the seed sequence, so adding a table never shifts the numbers of another.
_S_CUSTOMERS, _S_REPS, _S_FX, _S_CONTACTS, _S_LIMITS, _S_ACCOUNTS, _S_BLOCK = range(7)
_S_RECEIPT_ANOMALIES = 7  # its own stream: planting draws nothing from the block's numbers
# The anomalous receipts planted in the first block for fct_receipt_anomalies to find (docs/metrics.md).
PLANTED_RECEIPTS_FILE = "planted_receipt_anomalies.csv"
PLANTED_LARGE_FACTOR = 20  # the large receipt: its usual amount plus 20 times its median as cash on account

# --- names and places --------------------------------------------------------------------------

REGIONS = ("华东", "华南", "华北", "华中", "西南", "西北", "东北")
REGION_SHARES = np.array([0.30, 0.22, 0.16, 0.12, 0.09, 0.05, 0.06])
OVERSEAS = "海外"
CITIES = {
    "华东": ("上海", "杭州", "南京", "苏州", "宁波", "合肥", "济南", "青岛", "福州", "厦门", "无锡"),
    "华南": ("广州", "深圳", "东莞", "佛山", "南宁", "海口", "珠海"),
    "华北": ("北京", "天津", "石家庄", "太原", "呼和浩特", "唐山"),
    "华中": ("武汉", "长沙", "郑州", "南昌", "宜昌"),
    "西南": ("成都", "重庆", "昆明", "贵阳", "绵阳"),
    "西北": ("西安", "兰州", "乌鲁木齐", "银川", "西宁"),
    "东北": ("沈阳", "大连", "长春", "哈尔滨"),
}
INDUSTRIES = (
    ("制造业", ("机械", "装备", "精密制造", "五金")),
    ("零售", ("商贸", "百货", "连锁超市")),
    ("建筑", ("建设工程", "建材", "建筑安装")),
    ("医药", ("医药", "生物科技", "医疗器械")),
    ("电子", ("电子", "半导体", "光电")),
    ("物流", ("物流", "供应链", "货运")),
    ("化工", ("化工", "新材料", "涂料")),
    ("食品", ("食品", "饮料", "农产品")),
    ("汽车零部件", ("汽车零部件", "汽配")),
    ("纺织服装", ("纺织", "服饰")),
)
BRAND_FIRST = (
    ("宏", "hong"), ("华", "hua"), ("金", "jin"), ("鑫", "xin"), ("恒", "heng"), ("泰", "tai"), ("盛", "sheng"),
    ("永", "yong"), ("天", "tian"), ("中", "zhong"), ("新", "xin"), ("东", "dong"), ("瑞", "rui"), ("博", "bo"),
    ("创", "chuang"), ("凯", "kai"), ("德", "de"), ("嘉", "jia"), ("安", "an"), ("远", "yuan"), ("正", "zheng"),
    ("海", "hai"), ("长", "chang"), ("润", "run"), ("昌", "chang"), ("万", "wan"), ("光", "guang"), ("精", "jing"),
)  # fmt: skip
BRAND_SECOND = (
    ("达", "da"), ("信", "xin"), ("源", "yuan"), ("丰", "feng"), ("发", "fa"), ("利", "li"), ("隆", "long"),
    ("祥", "xiang"), ("兴", "xing"), ("成", "cheng"), ("通", "tong"), ("科", "ke"), ("康", "kang"), ("业", "ye"),
    ("晟", "sheng"), ("诚", "cheng"), ("合", "he"), ("邦", "bang"), ("辉", "hui"), ("翔", "xiang"), ("鼎", "ding"),
    ("宝", "bao"), ("力", "li"), ("峰", "feng"), ("美", "mei"), ("和", "he"), ("锦", "jin"), ("韵", "yun"),
)  # fmt: skip
SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("黄", "huang"),
    ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"),
    ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"), ("罗", "luo"), ("高", "gao"), ("郑", "zheng"),
)  # fmt: skip
GIVEN_NAMES = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("磊", "lei"), ("强", "qiang"),
    ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"),
    ("超", "chao"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("丽", "li"), ("军", "jun"), ("浩", "hao"),
    ("婷", "ting"), ("鹏", "peng"), ("辉", "hui"), ("玲", "ling"), ("斌", "bin"), ("雪", "xue"), ("宇", "yu"),
)  # fmt: skip
# (country, currency, timezone, legal suffix, phone prefix)
FOREIGN_COUNTRIES = (
    ("US", "USD", "America/Los_Angeles", "Inc.", "+1"),
    ("SG", "USD", "Asia/Singapore", "Pte. Ltd.", "+65"),
    ("JP", "USD", "Asia/Tokyo", "Co., Ltd.", "+81"),
    ("KR", "USD", "Asia/Seoul", "Co., Ltd.", "+82"),
    ("DE", "EUR", "Europe/Berlin", "GmbH", "+49"),
    ("FR", "EUR", "Europe/Paris", "S.A.S.", "+33"),
    ("NL", "EUR", "Europe/Amsterdam", "B.V.", "+31"),
    ("IT", "EUR", "Europe/Rome", "S.r.l.", "+39"),
)
FOREIGN_WORDS = ("Pacific", "Atlas", "Nordic", "Summit", "Harbor", "Evergreen", "Orion", "Keystone", "Meridian")
FOREIGN_TRADES = ("Trading", "Industries", "Components", "Logistics", "Foods", "Electronics", "Chemicals", "Supply")
FOREIGN_FIRST = ("James", "Anna", "Thomas", "Maria", "Kenji", "Min-jun", "Sophie", "Lukas", "Emma", "David")
FOREIGN_LAST = ("Smith", "Müller", "Tanaka", "Kim", "Rossi", "Dubois", "de Vries", "Tan", "Johnson", "Weber")
CN_ROLES = ("财务经理", "出纳", "会计", "采购经理", "总经理", "应付账款专员")
FOREIGN_ROLES = ("Accounts Payable", "Finance Manager", "Controller")

WRITEOFF_REASONS_BAD_DEBT = (
    "客户经营困难，账龄超过一年，经审批核销",
    "客户进入破产清算程序",
    "诉讼胜诉但无可执行财产",
    "催收无果，按坏账政策核销",
)
WRITEOFF_REASON_SMALL = "银行手续费尾差核销"
NOTES = {
    "no_answer": ("电话无人接听", "多次拨打未接通，已发短信提醒", "客户财务电话占线，稍后再联系", "邮件未回复"),
    "reached": (
        "已与客户财务沟通，对方确认收到发票",
        "客户表示正在走付款审批流程",
        "已提醒客户款项逾期，客户表示会尽快安排",
        "客户财务经理出差，下周再跟进",
    ),
    "promise_to_pay": (
        "客户承诺本月底前付款",
        "客户财务表示下周安排付款",
        "客户承诺先付一部分，余款下月结清",
        "对方口头承诺近期付款，需持续跟进",
    ),
    "dispute_raised": (
        "客户对发票金额有异议，要求提供对账单",
        "客户反映部分货物质量问题，暂缓付款",
        "客户称交货延迟，要求扣款",
        "客户称未收到增值税专用发票原件",
    ),
    "refused": (
        "客户以资金紧张为由拒绝付款",
        "客户称需等其下游回款后才能支付",
        "客户拒绝确认欠款金额",
        "客户态度消极，拒绝给出付款时间",
    ),
    "paid_confirmed": ("客户确认已付款，已核对银行回单", "已收到承兑汇票，待财务入账", "款项已到账，关闭催收"),
    "wrong_contact": ("联系人已离职，需更新联系方式", "电话号码为空号", "对方称不负责该业务"),
}
# Free text downstream must store verbatim and never execute: quotes, semicolons, SQL.
TRICKY_NOTES = (
    "客户说：\"下周一定付款\"；财务'王姐'已确认",
    '备注; 含分号; 以及引号 "quoted", 逗号',
    "'; DROP TABLE erp_invoices; --",
    "Robert'); DROP TABLE crm_activities;--",
    "SELECT * FROM erp_payments WHERE 1=1; -- 客户要求对账",
    '付款计划: 50%; 30%; 20% (见邮件 "RE: 对账单")',
)

# --- behaviour parameters per archetype (rows in ARCHETYPES order) ----------------------------

_PAYMENT_TERMS = np.array([30, 45, 60, 90])
_TERMS_PROBS = np.array(
    [
        [0.10, 0.20, 0.40, 0.30],  # strategic: negotiated long terms
        [0.35, 0.20, 0.30, 0.15],
        [0.35, 0.25, 0.30, 0.10],
        [0.50, 0.25, 0.20, 0.05],
        [0.35, 0.20, 0.30, 0.15],
        [0.35, 0.20, 0.30, 0.15],
    ]
)
_RATINGS = np.array(["A", "B", "C", "D"])
_RATING_PROBS = np.array(
    [
        [0.70, 0.30, 0.00, 0.00],
        [0.50, 0.45, 0.05, 0.00],
        [0.05, 0.35, 0.40, 0.20],
        [0.20, 0.50, 0.30, 0.00],
        [0.40, 0.50, 0.10, 0.00],
        [0.35, 0.50, 0.15, 0.00],
    ]
)
_SIZE_FACTOR = np.array([6.0, 1.5, 0.9, 0.8, 1.0, 1.0])  # mean invoice amount multiplier
_RATE_FACTOR = np.array([1.4, 1.0, 1.0, 1.7, 1.0, 1.0])  # documents per month multiplier
_HABIT_SHARE = 0.20
_HABIT_DAYS = np.array([25, 28, 20, 15, 10, 5])
_HABIT_DAY_PROBS = np.array([0.45, 0.15, 0.15, 0.10, 0.10, 0.05])
# Probability of settling in 1, 2 or 3 receipts.
_PARTS_PROBS = np.array(
    [
        [0.93, 0.07, 0.00],
        [0.85, 0.12, 0.03],
        [0.45, 0.35, 0.20],
        [0.90, 0.08, 0.02],
        [0.90, 0.08, 0.02],
        [0.90, 0.08, 0.02],
    ]
)
# Collection: share of overdue documents chased, days between contacts, max contacts per document.
_CHASE_PROB = np.array([0.5, 1.0, 1.0, 0.6, 0.6, 0.6])
_CHASE_INTERVAL = np.array([20, 20, 15, 14, 30, 14])
_CHASE_CAP = np.array([2, 6, 8, 3, 8, 3])
_FINAL_PROMISE_PROB = np.array([0.85, 0.15, 0.35, 0.5, 0.5, 0.5])
# Outcome of an ordinary collection contact, ACTIVITY_OUTCOMES order:
# no_answer, reached, promise_to_pay, dispute_raised, refused, paid_confirmed, wrong_contact
_OUTCOME_PROBS = np.array(
    [
        [0.12, 0.58, 0.28, 0.00, 0.00, 0.0, 0.02],
        [0.20, 0.12, 0.42, 0.03, 0.20, 0.0, 0.03],
        [0.30, 0.20, 0.30, 0.02, 0.13, 0.0, 0.05],
        [0.30, 0.40, 0.25, 0.01, 0.00, 0.0, 0.04],
        [0.30, 0.40, 0.25, 0.01, 0.00, 0.0, 0.04],
        [0.30, 0.40, 0.25, 0.01, 0.00, 0.0, 0.04],
    ]
)
# ACTIVITY_CHANNELS order: call, email, sms, letter, visit, legal_notice
_CHANNEL_PROBS = np.array(
    [
        [0.45, 0.30, 0.00, 0.05, 0.20, 0.00],
        [0.55, 0.25, 0.10, 0.07, 0.03, 0.00],
        [0.55, 0.20, 0.12, 0.10, 0.03, 0.00],
        [0.50, 0.35, 0.10, 0.02, 0.03, 0.00],
        [0.50, 0.35, 0.08, 0.05, 0.02, 0.00],
        [0.50, 0.35, 0.10, 0.03, 0.02, 0.00],
    ]
)
# DISPUTE_REASONS order: quality, price, delivery, documentation, other
_DISPUTE_REASON_PROBS = np.array([0.35, 0.30, 0.15, 0.10, 0.10])
_LEGACY_DISPUTE_REASON_PROBS = np.array([0.30, 0.20, 0.10, 0.30, 0.10])
# Payment methods; bank acceptance bills are common for larger domestic receipts.
_METHODS = np.array(["bank_transfer", "bank_acceptance_bill", "check", "offset", "cash"])
_METHOD_PROBS_CN = np.array([0.74, 0.15, 0.04, 0.05, 0.02])
_METHOD_PROBS_FOREIGN = np.array([0.97, 0.0, 0.03, 0.0, 0.0])


@dataclass(frozen=True)
class GenerationResult:
    landing_dir: Path
    ground_truth_path: Path
    start_date: date
    end_date: date  # the as-of date of the demo
    row_counts: dict[str, int]
    seconds: float


# --- small vectorised helpers ------------------------------------------------------------------


def _rng(seed: int, stream: int, block: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, stream, block])


def _day(d: date) -> int:
    return (d - EPOCH).days


def _pick(rng: np.random.Generator, probs: np.ndarray, size: int | None = None) -> np.ndarray:
    """Category index per row: ``probs`` is one distribution, or one row of probabilities per draw."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim == 1:
        return rng.choice(len(probs), size=size, p=probs / probs.sum())
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(probs))
    return np.minimum((u[:, None] > cum).sum(axis=1), probs.shape[1] - 1)


def _within_group(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``counts[i]`` rows per owner i: the owner index and the 0-based position of each row."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - starts[owner]


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0


def _next_business_day(days: np.ndarray) -> np.ndarray:
    wd = _weekday(days)
    return days + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def _snap_to_day_of_month(days: np.ndarray, day_of_month: np.ndarray, not_before: np.ndarray) -> np.ndarray:
    """Move each date to the nearest ``day_of_month`` (<= 28) that is not before ``not_before``."""
    month = days.astype("datetime64[D]").astype("datetime64[M]")
    candidates = np.stack(
        [(month + k).astype("datetime64[D]").astype(np.int64) + day_of_month - 1 for k in (-1, 0, 1, 2)]
    )
    distance = np.abs(candidates - days)
    distance = np.where(candidates < not_before, 10**9, distance)
    snapped = np.take_along_axis(candidates, distance.argmin(axis=0)[None, :], axis=0)[0]
    # Pay the Friday before when the habit day falls on a weekend (treasury runs on business days).
    wd = _weekday(snapped)
    snapped = snapped - np.where(wd == 5, 1, np.where(wd == 6, 2, 0))
    return np.maximum(snapped, not_before)


def _office_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight UTC within 09:00-18:00 Beijing time, whole minutes."""
    return 3_600 + rng.integers(0, 9 * 60, n) * 60


def _ts(days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    return days.astype(np.int64) * US_PER_DAY + seconds.astype(np.int64) * 1_000_000


def _cents(values: np.ndarray, minimum: int = 1) -> np.ndarray:
    return np.maximum(np.round(values * 100), minimum).astype(np.int64)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _take(values: pa.Array, index: np.ndarray) -> pa.Array:
    """``values[index]`` with null where index < 0."""
    index = np.asarray(index, dtype=np.int64)
    return values.take(pa.array(index, mask=index < 0))


def _strings(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(values.astype(str), type=pa.string(), mask=null)


def _join(*parts: np.ndarray | str) -> np.ndarray:
    out = np.asarray(parts[0], dtype=str)
    for part in parts[1:]:
        out = np.strings.add(out, np.asarray(part, dtype=str))
    return out


def _person_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chinese full names with their pinyin parts (given, surname) for e-mail addresses."""
    surnames = np.array(SURNAMES)
    given = np.array(GIVEN_NAMES)
    s = rng.integers(0, len(surnames), n)
    g1 = rng.integers(0, len(given), n)
    g2 = rng.integers(0, len(given), n)
    two_char = rng.random(n) < 0.6
    given_cn = np.where(two_char, _join(given[g1, 0], given[g2, 0]), given[g1, 0])
    given_py = np.where(two_char, _join(given[g1, 1], given[g2, 1]), given[g1, 1])
    return _join(surnames[s, 0], given_cn), given_py, surnames[s, 1]


def _decimal(scaled: np.ndarray, dtype: pa.DataType) -> pa.Array:
    """Exact decimal128 from integers already scaled (cents, or 1e-8 for rates)."""
    scaled = np.asarray(scaled, dtype=np.int64)
    words = np.empty((len(scaled), 2), dtype=np.int64)
    words[:, 0] = scaled
    words[:, 1] = scaled >> 63  # sign extension into the high 64 bits
    return pa.Array.from_buffers(dtype, len(scaled), [None, pa.py_buffer(words.tobytes())])


def _to_arrow(values, logical_type: str) -> pa.Array:
    arrow_type = ARROW_TYPES[logical_type]
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.cast(arrow_type) if values.type != arrow_type else values
    values = np.asarray(values)
    if logical_type in ("money", "rate"):
        return _decimal(values, arrow_type)
    if logical_type == "date":
        values = values.astype(np.int64)
        null = values == NULL_DAY
        return pa.array(np.where(null, 0, values).astype(np.int32), type=arrow_type, mask=null if null.any() else None)
    if logical_type == "timestamp":
        return pa.array(values.astype(np.int64), type=arrow_type)
    if logical_type == "string":
        return pa.array(values.astype(str), type=arrow_type)
    return pa.array(values, type=arrow_type)


def _arrow_table(name: str, columns: dict) -> pa.Table:
    contract = TABLES[name]
    if set(columns) != set(contract.column_names):
        raise ValueError(f"{name}: columns {sorted(columns)} differ from the contract")
    fields = [pa.field(c.name, ARROW_TYPES[c.type], nullable=c.nullable) for c in contract.columns]
    arrays = [_to_arrow(columns[c.name], c.type) for c in contract.columns]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


class _LandingWriter:
    """One folder per table, one part file per call; replaces the folders it owns."""

    def __init__(self, landing_dir: Path, file_format: str) -> None:
        self.landing_dir = landing_dir
        self.file_format = file_format
        self.row_counts = {name: 0 for name in TABLES}
        self._parts = {name: 0 for name in TABLES}
        for name in TABLES:
            folder = landing_dir / name
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)

    def write(self, name: str, columns: dict) -> None:
        table = _arrow_table(name, columns)
        path = self.landing_dir / name / f"part-{self._parts[name]:05d}.{self.file_format}"
        self._parts[name] += 1
        self.row_counts[name] += table.num_rows
        if self.file_format == "parquet":
            pq.write_table(table, path, compression="zstd")
        else:
            write_csv(table, path)


def write_csv(table: pa.Table, path: Path) -> None:
    """The landing CSV dialect: header, UTF-8, ISO dates, ``...T09:15:00Z`` timestamps, empty = null."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            text = pc.strftime(table.column(i).cast(pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ")
            table = table.set_column(i, pa.field(field.name, pa.string(), nullable=field.nullable), text)
    pa_csv.write_csv(table, path, pa_csv.WriteOptions(include_header=True, quoting_style="needed"))


# --- the simulated company ---------------------------------------------------------------------


@dataclass
class _World:
    """Customer-level facts every block needs (arrays of length n_customers)."""

    seed: int
    start: int  # first day of history (days since epoch)
    end: int  # the as-of date
    customer_ids: pa.Array
    rep_ids: pa.Array
    archetype: np.ndarray
    currency: np.ndarray  # index into CURRENCIES
    since: np.ndarray  # customer_since
    stop: np.ndarray  # last day the customer is invoiced (inactive customers stop earlier)
    terms: np.ndarray
    size: np.ndarray  # mean invoice amount in the customer's currency
    rate: np.ndarray  # documents per month
    habit_day: np.ndarray  # 0 = no pay-day habit
    late_bias: np.ndarray  # customer's own typical days late
    turn: np.ndarray  # cash_strapped: day the slide starts
    rep: np.ndarray  # index into rep_ids
    manager: np.ndarray  # the rep's supervisor (index into rep_ids)
    contact_first: np.ndarray  # first contact number (0-based) of the customer
    contact_count: np.ndarray
    contact_dnc: np.ndarray  # per contact: do_not_contact
    planted_receipts: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (payment_id, check_code)


def _plant_receipt_anomalies(
    w: _World, pay_cust: np.ndarray, pay_date: np.ndarray, pay_amount: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """Three receipts of the first block made anomalous for fct_receipt_anomalies, as the seed defines it.

    From the shipped receipt_anomaly_rules: a receipt of the review window whose customer has enough
    history gets 20x its median as cash on account (large_amount); another is moved back to the
    window's latest non-working day of the company's calendar (its applications keep their dates);
    one that reaches the unapplied threshold within the window keeps part of its amount on account.
    Drawn from their own stream; nothing else changes. Returns the new dates and amounts, and the
    (payment index, check_code) planted.
    """
    import holidays

    from ar_risk.collections.receipt_anomalies import check_receipt_anomaly_rules
    from ar_risk.config import PROJECT_DIR

    checks = check_receipt_anomaly_rules(PROJECT_DIR / "dbt_project" / "seeds")
    rng = _rng(w.seed, _S_RECEIPT_ANOMALIES)
    pay_date, pay_amount = pay_date.copy(), pay_amount.copy()
    planted: list[tuple[int, str]] = []
    used_customers: set[int] = set()

    def pick(candidates: np.ndarray) -> int | None:
        candidates = np.array([i for i in candidates if pay_cust[i] not in used_customers], dtype=np.int64)
        if not len(candidates):
            return None
        chosen = int(candidates[rng.integers(0, len(candidates))])
        used_customers.add(int(pay_cust[chosen]))
        return chosen

    end = w.end
    large = checks["large_amount"]
    window = np.flatnonzero(end - pay_date < large.review_window_days)
    earlier = np.array([np.sum((pay_cust == pay_cust[i]) & (pay_date < pay_date[i])) for i in window], dtype=np.int64)
    i = pick(window[earlier >= 2 * large.min_history_receipts])
    if i is not None:
        history = pay_amount[(pay_cust == pay_cust[i]) & (pay_date < pay_date[i])]
        pay_amount[i] += int(np.median(history)) * PLANTED_LARGE_FACTOR
        planted.append((i, "large_amount"))

    calendar = holidays.country_holidays("CN", years=range(_date(end - 400).year, _date(end).year + 1))
    days = np.arange(end - checks["non_working_day"].review_window_days + 1, end + 1)
    # the latest closed day with receipts after it in the window: moved back, never after its applications
    for closed in [d for d in days[::-1] if not calendar.is_working_day(_date(d))]:
        i = pick(np.flatnonzero((pay_date > closed) & (pay_date <= end)))
        if i is not None:
            pay_date[i] = closed
            planted.append((i, "non_working_day"))
            break

    unapplied = checks["unapplied"]
    age = end - pay_date
    i = pick(np.flatnonzero((age >= unapplied.threshold) & (age - unapplied.threshold < unapplied.review_window_days)))
    if i is not None:
        pay_amount[i] += max(pay_amount[i] // 20, 10_000)  # 5 % (at least 100.00) left on account
        planted.append((i, "unapplied"))
    return pay_date, pay_amount, planted


def _date(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


def _exact_shares(rng: np.random.Generator, n: int) -> np.ndarray:
    counts = np.floor(np.array(ARCHETYPE_SHARES) * n).astype(int)
    counts[GOOD] += n - counts.sum()
    return rng.permutation(np.repeat(np.arange(len(ARCHETYPES)), counts))


def _build_reps(seed: int, region_of_customer: np.ndarray, start: int) -> dict:
    """Head of sales -> one manager per region department -> reps (about one per 25 customers)."""
    rng = _rng(seed, _S_REPS)
    regions = (*REGIONS, OVERSEAS)
    n_regions = len(regions)
    customers_per_region = np.bincount(region_of_customer, minlength=n_regions)
    reps_per_region = np.maximum(1, np.round(customers_per_region / 25)).astype(int)
    n_reps = 1 + n_regions + reps_per_region.sum()
    departments = np.array([f"{r}销售部" for r in REGIONS] + ["国际业务部"])

    region = np.concatenate([[-1], np.arange(n_regions), np.repeat(np.arange(n_regions), reps_per_region)])
    supervisor = np.concatenate([[-1], np.zeros(n_regions, dtype=int), 1 + region[1 + n_regions :]])
    department = np.where(region < 0, "销售管理部", departments[np.maximum(region, 0)])
    names, given_py, surname_py = _person_names(rng, n_reps)
    numbers = np.arange(1, n_reps + 1)
    rep_ids = _ids("SR", numbers, 5)
    email = _join(given_py, ".", surname_py, np.char.zfill(numbers.astype(str), 4), "@corp.example.com")
    hired = start - rng.integers(30, 3_000, n_reps)
    # First rep of each region for a customer in that region: reps are laid out region by region.
    first_rep = 1 + n_regions + np.cumsum(reps_per_region) - reps_per_region
    return {
        "rep_ids": rep_ids,
        "first_rep": first_rep,
        "reps_per_region": reps_per_region,
        "columns": {
            "sales_rep_id": rep_ids,
            "rep_name": names,
            "department": department,
            "supervisor_id": _take(rep_ids, supervisor),
            "region": _take(pa.array(np.array(regions)), region),
            "email": email,
            "updated_at": _ts(hired, _office_seconds(rng, n_reps)),
        },
    }


def _build_world(seed: int, n: int, start: int, end: int, writer: _LandingWriter) -> tuple[_World, dict]:
    """Customers, sales reps, credit limits, CRM accounts and contacts; returns the world and ground truth."""
    rng = _rng(seed, _S_CUSTOMERS)
    archetype = _exact_shares(rng, n)
    id_width = max(6, len(str(n)))
    customer_ids = _ids("C", np.arange(1, n + 1), id_width)

    # Geography and currency: about 3% foreign customers invoiced in USD or EUR.
    foreign = rng.random(n) < 0.03
    country_idx = rng.integers(0, len(FOREIGN_COUNTRIES), n)
    region = np.where(foreign, len(REGIONS), _pick(rng, REGION_SHARES, n))
    country = np.where(foreign, np.array([c[0] for c in FOREIGN_COUNTRIES])[country_idx], "CN")
    currency = np.where(foreign, np.where(np.array([c[1] for c in FOREIGN_COUNTRIES])[country_idx] == "USD", 1, 2), 0)
    industry = rng.integers(0, len(INDUSTRIES), n)

    # History: growers joined 12-18 months ago; some others joined during the window; the rest earlier.
    window = end - start
    since = start - rng.integers(30, 12 * 365, n)
    recent_joiner = (rng.random(n) < 0.15) & np.isin(archetype, (GOOD, DELAYER))
    since = np.where(recent_joiner, start + rng.integers(0, max(1, window - 365), n), since)
    since = np.where(archetype == GROWER, end - rng.integers(365, 548, n), since)
    stop = np.full(n, end)
    churned = (archetype == GOOD) & (rng.random(n) < 0.03) & (since < end - 700)
    stop = np.where(churned, end - rng.integers(180, 600, n), stop)
    blocked = (archetype == CASH) & (rng.random(n) < 0.3)  # credit hold: no more deliveries
    stop = np.where(blocked, end - rng.integers(30, 120, n), stop)
    is_active = stop >= end

    terms = _PAYMENT_TERMS[_pick(rng, _TERMS_PROBS[archetype])]
    fx_guess = np.array([1.0, 7.1, 7.8])[currency]
    size = rng.lognormal(np.log(25_000), 0.8, n) * _SIZE_FACTOR[archetype] / fx_guess
    rate = rng.lognormal(np.log(2.6) - 0.08, 0.4, n) * _RATE_FACTOR[archetype]
    habit = rng.random(n) < _HABIT_SHARE
    habit_day = np.where(habit, _HABIT_DAYS[_pick(rng, _HABIT_DAY_PROBS, n)], 0)
    late_bias = np.select(
        [archetype == STRATEGIC, archetype == DELAYER, archetype == CASH, archetype == GROWER],
        [rng.uniform(14, 24, n), rng.uniform(45, 75, n), rng.uniform(3, 10, n), rng.normal(1.5, 2, n)],
        rng.normal(0, 2, n),
    )
    turn = start + (rng.uniform(0.35, 0.7, n) * window).astype(int)
    rating = _RATINGS[_pick(rng, _RATING_PROBS[archetype])]
    rating_null = rng.random(n) < np.where(archetype == GROWER, 0.3, 0.03)

    # Names: 城市 + 字号 + 行业 + 组织形式; subsidiaries carry their group's 字号 and trade.
    city_lists = [CITIES[r] for r in REGIONS]
    city = np.array([c for cities in city_lists for c in cities])  # flat list, index = region offset + position
    city_offset = np.cumsum([0] + [len(c) for c in city_lists])
    city_count = np.diff(city_offset)
    region_cn = np.minimum(region, len(REGIONS) - 1)
    city_idx = city_offset[region_cn] + (rng.random(n) * city_count[region_cn]).astype(int)
    b1 = rng.integers(0, len(BRAND_FIRST), n)
    b2 = rng.integers(0, len(BRAND_SECOND), n)
    words = np.array([w for _, ws in INDUSTRIES for w in ws])
    word_offset = np.cumsum([0] + [len(ws) for _, ws in INDUSTRIES])
    word_idx = word_offset[industry] + (rng.random(n) * np.diff(word_offset)[industry]).astype(int)

    head = (~foreign) & (rng.random(n) < 0.04) & (archetype != GROWER)
    heads = np.flatnonzero(head)
    subsidiary = (~foreign) & (~head) & (rng.random(n) < 0.10) & (len(heads) > 0)
    parent = np.full(n, -1)
    if len(heads):
        parent = np.where(subsidiary, heads[rng.integers(0, len(heads), n)], -1)
    p = np.maximum(parent, 0)
    b1, b2 = np.where(subsidiary, b1[p], b1), np.where(subsidiary, b2[p], b2)
    word_idx = np.where(subsidiary, word_idx[p], word_idx)
    industry = np.where(subsidiary, industry[p], industry)
    brand = _join(np.array(BRAND_FIRST)[b1, 0], np.array(BRAND_SECOND)[b2, 0])
    brand_py = _join(np.array(BRAND_FIRST)[b1, 1], np.array(BRAND_SECOND)[b2, 1])
    legal_form = np.where(rng.random(n) < 0.8, "有限公司", "股份有限公司")
    cn_name = np.where(
        head,
        _join(city[city_idx], brand, words[word_idx], "集团有限公司"),
        np.where(
            subsidiary,
            _join(brand, words[word_idx], "（", city[city_idx], "）有限公司"),
            _join(city[city_idx], brand, words[word_idx], legal_form),
        ),
    )
    fw = rng.integers(0, len(FOREIGN_WORDS), n)
    ft = rng.integers(0, len(FOREIGN_TRADES), n)
    suffix = np.array([c[3] for c in FOREIGN_COUNTRIES])[country_idx]
    foreign_name = _join(np.array(FOREIGN_WORDS)[fw], " ", np.array(FOREIGN_TRADES)[ft], " ", suffix)
    name = np.where(foreign, foreign_name, cn_name)
    domain = np.where(
        foreign,
        _join(np.strings.lower(np.array(FOREIGN_WORDS)[fw]), np.strings.lower(np.array(FOREIGN_TRADES)[ft]), ".com"),
        _join(brand_py, ".com.cn"),
    )

    reps = _build_reps(seed, region, start)
    rep = reps["first_rep"][region] + (rng.random(n) * reps["reps_per_region"][region]).astype(int)
    manager = 1 + region

    cust_updated = np.where(is_active, since, stop)
    writer.write(
        "erp_customers",
        {
            "customer_id": customer_ids,
            "customer_name": name,
            "parent_customer_id": _take(customer_ids, parent),
            "region": np.array((*REGIONS, OVERSEAS))[region],
            "country_code": country,
            "industry": np.array([i for i, _ in INDUSTRIES])[industry],
            "customer_since": since,
            "sales_rep_id": _take(reps["rep_ids"], rep),
            "payment_terms_days": terms,
            "credit_rating": _strings(rating, rating_null),
            "is_active": is_active,
            "updated_at": _ts(cust_updated, _office_seconds(rng, n)),
        },
    )
    writer.write("erp_sales_reps", reps["columns"])

    contact_first, contact_count, contact_dnc = _write_contacts(
        seed, n, customer_ids, archetype, foreign, country_idx, domain, since, writer
    )
    world = _World(
        seed=seed,
        start=start,
        end=end,
        customer_ids=customer_ids,
        rep_ids=reps["rep_ids"],
        archetype=archetype,
        currency=currency,
        since=since,
        stop=stop,
        terms=terms,
        size=size,
        rate=rate,
        habit_day=habit_day,
        late_bias=late_bias,
        turn=turn,
        rep=rep,
        manager=manager,
        contact_first=contact_first,
        contact_count=contact_count,
        contact_dnc=contact_dnc,
    )
    _write_credit_limits(world, writer)
    _write_accounts(world, writer)
    truth = {
        "customer_id": customer_ids,
        "archetype": pa.array(np.array(ARCHETYPES)[archetype]),
        "pays_around_day_of_month": pa.array(habit_day, type=pa.int32(), mask=habit_day == 0),
    }
    return world, truth


def _write_contacts(seed, n, customer_ids, archetype, foreign, country_idx, domain, since, writer) -> tuple:
    rng = _rng(seed, _S_CONTACTS)
    count = np.where(archetype == STRATEGIC, 3, 1 + _pick(rng, np.array([0.4, 0.4, 0.2]), n))
    owner, position = _within_group(count)
    m = len(owner)
    first = np.cumsum(count) - count
    is_foreign = foreign[owner]
    cn_name, given_py, surname_py = _person_names(rng, m)
    f1 = rng.integers(0, len(FOREIGN_FIRST), m)
    f2 = rng.integers(0, len(FOREIGN_LAST), m)
    en_first = np.array(FOREIGN_FIRST)[f1]
    en_last = np.array(FOREIGN_LAST)[f2]
    contact_name = np.where(is_foreign, _join(en_first, " ", en_last), cn_name)
    local_part = np.where(
        is_foreign,
        _join(np.strings.lower(en_first), ".", np.strings.lower(np.strings.replace(en_last, " ", ""))),
        _join(given_py, ".", surname_py),
    )
    local_part = np.strings.replace(local_part, "ü", "ue")
    email = _join(local_part, "@", domain[owner])
    role = np.where(
        is_foreign,
        np.array(FOREIGN_ROLES)[rng.integers(0, len(FOREIGN_ROLES), m)],
        np.array(CN_ROLES)[rng.integers(0, len(CN_ROLES), m)],
    )
    mobile = _join(
        "+86 1",
        np.array(["3", "5", "8", "9"])[rng.integers(0, 4, m)],
        np.char.zfill(rng.integers(0, 10**9, m).astype(str), 9),
    )
    prefix = np.array([c[4] for c in FOREIGN_COUNTRIES])[country_idx[owner]]
    landline = _join(
        prefix, " ", rng.integers(100, 999, m).astype(str), " ", rng.integers(1_000_000, 9_999_999, m).astype(str)
    )
    phone = np.where(is_foreign, landline, mobile)
    cn_channel = _pick(rng, np.array([0.35, 0.25, 0.05, 0.30, 0.05]), m)  # phone, email, sms, wechat, visit
    preferred = np.where(is_foreign, np.where(rng.random(m) < 0.8, 1, 0), cn_channel)
    timezone = np.where(is_foreign, np.array([c[2] for c in FOREIGN_COUNTRIES])[country_idx[owner]], "Asia/Shanghai")
    # The first contact of a customer is always reachable; activities fall back to it.
    do_not_contact = (position > 0) & (rng.random(m) < 0.04)
    writer.write(
        "crm_contacts",
        {
            "contact_id": _ids("CT", np.arange(1, m + 1), 7),
            "customer_id": customer_ids.take(pa.array(owner)),
            "contact_name": contact_name,
            "role": role,
            "email": _strings(email, rng.random(m) < 0.08),
            "phone": _strings(phone, rng.random(m) < 0.05),
            "preferred_channel": np.array(CONTACT_CHANNELS)[preferred],
            "timezone": _strings(timezone, rng.random(m) < 0.03),
            "do_not_contact": do_not_contact,
            "updated_at": _ts(since[owner] + rng.integers(0, 60, m), _office_seconds(rng, m)),
        },
    )
    return first, count, do_not_contact


def _write_credit_limits(w: _World, writer: _LandingWriter) -> None:
    """Limit history: growers raised, cash_strapped cut after their turn, others adjusted now and then."""
    rng = _rng(w.seed, _S_LIMITS)
    n = len(w.archetype)
    a = w.archetype
    monthly_sales = w.size * w.rate
    step = np.where(w.currency == 0, 10_000, 1_000)
    initial = (
        np.ceil(monthly_sales * (w.terms / 30 + 1) * rng.uniform(1.1, 1.8, n) * np.where(a == GROWER, 0.4, 1) / step)
        * step
    )
    changes = np.select(
        [a == GROWER, a == CASH, a == STRATEGIC],
        [rng.integers(1, 4, n), rng.integers(1, 3, n), rng.integers(0, 3, n)],
        rng.integers(0, 3, n),
    )
    owner, k = _within_group(changes + 1)
    m = len(owner)
    first_from_c = np.maximum(w.since, w.start - 365)
    first_from = first_from_c[owner]
    # Changes are spread over [from, end - 10]; cash_strapped cuts come after the slide starts.
    change_from = np.where(a == CASH, np.maximum(w.turn + 60, first_from_c), np.maximum(w.since, w.start) + 60)[owner]
    change_to = w.end - 10
    span = np.maximum(change_to - change_from, 1)
    slot = span / (changes[owner] + 1)
    jitter = rng.uniform(-0.25, 0.25, m) * slot
    valid_from = np.where(k == 0, first_from, change_from + (k * slot + jitter).astype(int))
    factor = np.select(
        [a[owner] == GROWER, a[owner] == CASH, a[owner] == STRATEGIC],
        [rng.uniform(1.3, 1.8, m), rng.uniform(0.4, 0.7, m), rng.uniform(1.1, 1.4, m)],
        rng.choice(np.array([0.8, 1.2, 1.25, 1.5]), m),
    )
    factor = np.where(k == 0, 1.0, factor)
    # Running product of factors within each customer's history.
    log_cum = np.cumsum(np.log(factor))
    group_start = np.cumsum(changes + 1) - (changes + 1)
    log_cum = log_cum - (log_cum[group_start] - np.log(factor[group_start]))[owner]
    limit = np.maximum(np.round(initial[owner] * np.exp(log_cum) / step[owner]) * step[owner], step[owner])
    last = k == changes[owner]
    valid_to = np.where(last, NULL_DAY, np.append(valid_from[1:], 0) - 1)
    changed_on = np.where(last, valid_from, valid_to + 1)
    writer.write(
        "erp_credit_limits",
        {
            "customer_id": w.customer_ids.take(pa.array(owner)),
            "credit_limit": (limit * 100).astype(np.int64),
            "currency": np.array(CURRENCIES)[w.currency[owner]],
            "valid_from": valid_from,
            "valid_to": valid_to,
            "approved_by": _take(w.rep_ids, np.where(limit >= 5_000_000, 0, w.manager[owner])),
            "updated_at": _ts(changed_on, _office_seconds(rng, m)),
        },
    )


def _write_accounts(w: _World, writer: _LandingWriter) -> None:
    rng = _rng(w.seed, _S_ACCOUNTS)
    n = len(w.archetype)
    a = w.archetype
    volume = w.size * w.rate * np.array([1.0, 7.1, 7.8])[w.currency]
    key_cut = np.quantile(volume[a != STRATEGIC], 0.85) if (a != STRATEGIC).any() else np.inf
    tier = np.where(a == STRATEGIC, 0, np.where(volume >= key_cut, 1, 2))
    litigation = rng.random(n) < np.select([a == CASH, a == DELAYER], [0.35, 0.05], 0.01)
    negative_news = rng.random(n) < np.select([a == CASH, a == DELAYER], [0.40, 0.10], 0.02)
    review_gap = np.array([90, 180, 365])[tier]
    review = np.maximum(w.end - (rng.random(n) * review_gap).astype(int), np.minimum(w.since + 30, w.end))
    review = np.where((tier == 2) & (rng.random(n) < 0.10), NULL_DAY, review)
    writer.write(
        "crm_accounts",
        {
            "customer_id": w.customer_ids,
            "account_tier": np.array(["strategic", "key", "standard"])[tier],
            "relationship_manager_id": _take(w.rep_ids, np.where(tier == 0, w.manager, w.rep)),
            "litigation_flag": litigation,
            "negative_news_flag": negative_news,
            "last_review_date": review,
            "updated_at": _ts(np.where(review == NULL_DAY, w.since, review), _office_seconds(rng, n)),
        },
    )


def _write_fx(seed: int, start: int, end: int, writer: _LandingWriter) -> None:
    """Daily CNY per USD / EUR: a mean-reverting random walk, 4 decimals like the central parity."""
    rng = _rng(seed, _S_FX)
    days = np.arange(start, end + 1)
    frames = []
    for currency, centre in (("USD", 7.1), ("EUR", 7.8)):
        shocks = rng.normal(0, 0.0025, len(days))
        log_rate = np.empty(len(days))
        x = np.log(centre) + rng.normal(0, 0.01)
        for i, shock in enumerate(shocks):  # one step per day, ~1,100 steps
            x += 0.01 * (np.log(centre) - x) + shock
            log_rate[i] = x
        rate_e8 = np.round(np.exp(log_rate) * 1e4).astype(np.int64) * 10_000
        frames.append((np.full(len(days), currency), days, rate_e8))
    writer.write(
        "erp_fx_rates",
        {
            "currency": np.concatenate([f[0] for f in frames]),
            "rate_date": np.concatenate([f[1] for f in frames]),
            "rate_to_reporting": np.concatenate([f[2] for f in frames]),
        },
    )


@dataclass
class _Counters:
    """Running id numbers across blocks (ids stay unique over part files)."""

    document: int = 0
    order: int = 0
    payment: int = 0
    application: int = 0
    writeoff: int = 0
    activity: int = 0
    promise: int = 0
    dispute: int = 0


def _simulate_block(w: _World, block: int, lo: int, hi: int, counters: _Counters, writer: _LandingWriter) -> None:
    """Documents, orders, receipts, applications, write-offs and the collection log of customers lo..hi-1."""
    rng = _rng(w.seed, _S_BLOCK, block)
    nb = hi - lo
    arch_c = w.archetype[lo:hi]
    start, end = w.start, w.end
    window = end - start

    # ---- AR documents: Poisson counts per customer-month, volume shaped by archetype ----------
    first_month = np.datetime64(start, "D").astype("datetime64[M]")
    last_month = np.datetime64(end, "D").astype("datetime64[M]")
    months = np.arange(first_month, last_month + 1)
    m_start = months.astype("datetime64[D]").astype(np.int64)
    m_end = (months + 1).astype("datetime64[D]").astype(np.int64) - 1
    active_from = np.maximum(w.since[lo:hi], start)[:, None]
    active_to = np.minimum(w.stop[lo:hi], end)[:, None]
    lo_day = np.maximum(m_start[None, :], active_from)
    hi_day = np.minimum(m_end[None, :], active_to)
    active_share = np.clip((hi_day - lo_day + 1) / (m_end - m_start + 1)[None, :], 0, None)
    mid = ((m_start + m_end) / 2)[None, :]
    since_c = w.since[lo:hi][:, None]
    grower_progress = np.clip((mid - since_c) / np.maximum(end - since_c, 1), 0, 1)
    slide = np.clip((mid - w.turn[lo:hi][:, None]) / np.maximum(end - w.turn[lo:hi][:, None], 1), 0, 1)
    volume = np.ones((nb, len(months)))
    volume = np.where((arch_c == GROWER)[:, None], 0.3 + 1.7 * grower_progress, volume)
    volume = np.where((arch_c == CASH)[:, None], 1 - 0.4 * slide, volume)
    counts = rng.poisson(w.rate[lo:hi][:, None] * active_share * volume)
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    c_local = cell // len(months)
    lo_d, hi_d = lo_day.ravel()[cell], hi_day.ravel()[cell]
    inv_date = lo_d + (rng.random(len(cell)) * (hi_d - lo_d + 1)).astype(np.int64)
    month_end_rush = rng.random(len(cell)) < 0.25  # many ERPs bill at month end
    inv_date = np.where(month_end_rush, np.maximum(hi_d - rng.integers(0, 3, len(cell)), lo_d), inv_date)
    wd = _weekday(inv_date)
    inv_date = np.clip(inv_date + np.where(wd == 5, -1, np.where(wd == 6, 1, 0)), lo_d, hi_d)
    is_debit = rng.random(len(cell)) < 0.03
    amount_trend = np.where(arch_c[c_local] == GROWER, 0.8 + 0.5 * grower_progress.ravel()[cell], 1.0)

    # legacy_problem: one extra old invoice that will never be paid.
    legacy_local = np.flatnonzero(arch_c == LEGACY)
    latest_legacy = end - 366 - w.terms[lo + legacy_local] - 20
    legacy_date = start + (rng.random(len(legacy_local)) * np.maximum(latest_legacy - start, 1)).astype(np.int64)
    legacy_date = np.maximum(legacy_date, np.maximum(w.since[lo + legacy_local], start))

    c_local = np.concatenate([c_local, legacy_local])
    inv_date = np.concatenate([inv_date, legacy_date])
    is_debit = np.concatenate([is_debit, np.zeros(len(legacy_local), dtype=bool)])
    amount_trend = np.concatenate([amount_trend, np.ones(len(legacy_local))])
    is_legacy = np.zeros(len(c_local), dtype=bool)
    is_legacy[len(cell) :] = True
    d = len(c_local)
    cust = lo + c_local
    arch = w.archetype[cust]
    size = w.size[cust] * amount_trend
    amount = np.where(
        is_debit, _cents(size * rng.uniform(0.01, 0.08, d), 100), _cents(size * rng.lognormal(-0.18, 0.6, d), 100)
    )
    due = inv_date + w.terms[cust]
    t_slide = np.clip((inv_date - w.turn[cust]) / np.maximum(end - w.turn[cust], 1), 0, 1)

    # ---- behaviour: days late of the final settlement -------------------------------------------
    noise = rng.normal(0, 1, d)
    slip = (rng.random(d) < 0.08) * rng.uniform(5, 25, d)  # an occasional slip by a good payer
    days_late = np.select(
        [arch == STRATEGIC, arch == DELAYER, arch == CASH, arch == GROWER],
        [
            np.clip(w.late_bias[cust] + 4 * noise, 8, 35),
            np.maximum(w.late_bias[cust] + 15 * noise + rng.exponential(12, d), 25),
            w.late_bias[cust] + 5 * noise + 110 * t_slide**1.3 + 12 * t_slide * rng.normal(0, 1, d),
            w.late_bias[cust] + 4 * noise + slip * 0.5,
        ],
        w.late_bias[cust] + 4 * noise + slip,
    )
    settle = due + np.round(days_late).astype(np.int64)
    settle = np.maximum(settle, inv_date + 1)
    habit = w.habit_day[cust]
    has_habit = habit > 0
    settle = np.where(
        has_habit, _snap_to_day_of_month(settle, np.maximum(habit, 1), inv_date + 1), _next_business_day(settle)
    )
    never_paid = is_legacy | ((arch == CASH) & (rng.random(d) < np.where(t_slide > 0, 0.05 + 0.5 * t_slide, 0.0)))

    # ---- credit notes: price/quality adjustments against about 6% of invoices ---------------
    cn_doc = np.flatnonzero((~is_debit) & (~is_legacy) & (rng.random(d) < 0.06))
    cn_date = _next_business_day(inv_date[cn_doc] + rng.integers(1, 21, len(cn_doc)))
    cn_doc, cn_date = cn_doc[cn_date <= end], cn_date[cn_date <= end]
    cn_amount = np.maximum(np.round(amount[cn_doc] * rng.uniform(0.02, 0.25, len(cn_doc))).astype(np.int64), 1)
    credited = np.zeros(d, dtype=np.int64)
    credited[cn_doc] = cn_amount
    payable = amount - credited

    # ---- receipts: 1-3 parts per document, the last one on the settlement date --------------
    n_parts = 1 + _pick(rng, _PARTS_PROBS[arch])
    n_parts = np.where(payable < 1_000, 1, n_parts)
    doc_of_part, j = _within_group(n_parts)
    n_of_part = n_parts[doc_of_part]
    weight = rng.uniform(0.5, 1.5, len(doc_of_part))
    share = weight / np.bincount(doc_of_part, weights=weight, minlength=d)[doc_of_part]
    part_amount = np.floor(payable[doc_of_part] * share).astype(np.int64)
    is_last = j == n_of_part - 1
    rest = payable - np.bincount(doc_of_part, weights=part_amount, minlength=d).astype(np.int64)
    part_amount[is_last] += rest[doc_of_part[is_last]]
    gap = np.where(has_habit, 30, rng.integers(10, 31, d))
    part_date = settle[doc_of_part] - gap[doc_of_part] * (n_of_part - 1 - j)
    part_date = np.maximum(part_date, inv_date[doc_of_part] + 1)
    part_habit = np.maximum(habit[doc_of_part], 1)
    part_date = np.where(
        has_habit[doc_of_part],
        _snap_to_day_of_month(part_date, part_habit, inv_date[doc_of_part] + 1),
        _next_business_day(part_date),
    )
    part_date = np.minimum(part_date, settle[doc_of_part])
    part_date = np.where(is_last, settle[doc_of_part], part_date)
    # Unpaid documents: either nothing came in, or only the first parts did.
    some_paid_first = rng.random(d) < 0.5
    unpaid_part = never_paid[doc_of_part] & (is_last | ~some_paid_first[doc_of_part] | is_legacy[doc_of_part])
    part_paid = (~unpaid_part) & (part_date <= end)

    # Small short-payments (bank charges) written off by AR; never for strategic or cash_strapped.
    fee = np.where(w.currency[cust] == 0, rng.integers(1_000, 5_001, d), rng.integers(200, 1_001, d))
    short = (rng.random(d) < 0.01) & ~np.isin(arch, (STRATEGIC, CASH)) & ~never_paid
    last_part_row = np.cumsum(n_parts) - 1
    short &= (part_amount[last_part_row] > 20 * fee) & part_paid[last_part_row]
    part_amount[last_part_row[short]] -= fee[short]

    paid_sum = np.bincount(doc_of_part, weights=np.where(part_paid, part_amount, 0), minlength=d).astype(np.int64)
    last_paid_date = np.full(d, NULL_DAY, dtype=np.int64)
    np.maximum.at(last_paid_date, doc_of_part[part_paid], part_date[part_paid])
    fully_paid = part_paid[last_part_row]

    # ---- write-offs: old unpaid cash_strapped balances, plus the short-payment residues ----
    wo_doc = np.flatnonzero(never_paid & ~is_legacy & (due + 270 <= end) & (rng.random(d) < 0.6))
    wo_date = np.minimum(due[wo_doc] + rng.integers(270, 421, len(wo_doc)), end)
    wo_date = np.maximum(wo_date, last_paid_date[wo_doc] + 1)
    keep = (wo_date <= end) & (payable[wo_doc] - paid_sum[wo_doc] > 0)
    wo_doc, wo_date = wo_doc[keep], _next_business_day(wo_date[keep])
    wo_date = np.minimum(wo_date, end)
    wo_amount = payable[wo_doc] - paid_sum[wo_doc]
    wo_reason = np.array(WRITEOFF_REASONS_BAD_DEBT)[rng.integers(0, len(WRITEOFF_REASONS_BAD_DEBT), len(wo_doc))]
    short_doc = np.flatnonzero(short)
    all_wo_doc = np.concatenate([wo_doc, short_doc])
    all_wo_date = np.concatenate([wo_date, settle[short_doc]])
    all_wo_amount = np.concatenate([wo_amount, fee[short_doc]])
    all_wo_reason = np.concatenate([wo_reason, np.full(len(short_doc), WRITEOFF_REASON_SMALL)])
    written_off_on = np.full(d, NULL_DAY, dtype=np.int64)
    written_off_on[wo_doc] = wo_date

    # ---- document ids, chronological within the block ---------------------------------------
    n_cn = len(cn_doc)
    doc_kind = np.concatenate([np.where(is_debit, 1, 0), np.full(n_cn, 2)])  # DOCUMENT_TYPES order
    all_date = np.concatenate([inv_date, cn_date])
    all_cust = np.concatenate([cust, cust[cn_doc]])
    order = np.lexsort((all_cust, all_date))
    doc_number = np.empty(d + n_cn, dtype=np.int64)
    doc_number[order] = counters.document + 1 + np.arange(d + n_cn)
    counters.document += d + n_cn
    prefixes = pc.take(pa.array(["INV", "DN", "CN"]), pa.array(doc_kind))
    digits = pc.utf8_lpad(pa.array(doc_number).cast(pa.string()), width=9, padding="0")
    doc_ids = pc.binary_join_element_wise(prefixes, digits, "")
    cn_ids = doc_ids.slice(d)

    # ---- orders: one per invoice, plus open and cancelled ones ------------------------------
    inv_docs = np.flatnonzero(~is_debit)
    open_counts = rng.poisson(w.rate[lo:hi] * 0.6 * (w.stop[lo:hi] >= end))
    open_cust = lo + np.repeat(np.arange(nb), open_counts)
    open_date = end - rng.integers(0, 30, len(open_cust))
    cancelled_cust = cust[rng.random(d) < 0.03]
    cancelled_date = np.maximum(
        np.maximum(w.since[cancelled_cust], start), end - rng.integers(0, window, len(cancelled_cust))
    )
    order_cust = np.concatenate([cust[inv_docs], open_cust, cancelled_cust])
    order_date = np.concatenate(
        [np.maximum(inv_date[inv_docs] - rng.integers(0, 21, len(inv_docs)), start), open_date, cancelled_date]
    )
    order_amount = np.concatenate(
        [amount[inv_docs], _cents(w.size[open_cust] * rng.lognormal(-0.18, 0.6, len(open_cust)), 100),
         _cents(w.size[cancelled_cust] * rng.lognormal(-0.18, 0.6, len(cancelled_cust)), 100)]
    )  # fmt: skip
    order_status = np.concatenate(
        [np.full(len(inv_docs), 1), np.full(len(open_cust), 0), np.full(len(cancelled_cust), 2)]
    )
    # The status changed on invoicing or cancellation: that is the row's last update.
    order_changed = np.concatenate(
        [inv_date[inv_docs], open_date, np.minimum(cancelled_date + rng.integers(1, 15, len(cancelled_cust)), end)]
    )
    n_orders = len(order_cust)
    o_order = np.lexsort((order_cust, order_date))
    order_number = np.empty(n_orders, dtype=np.int64)
    order_number[o_order] = counters.order + 1 + np.arange(n_orders)
    counters.order += n_orders
    order_ids = _ids("SO", order_number, 9)
    doc_order = np.full(d, -1)
    doc_order[inv_docs] = np.arange(len(inv_docs))

    # ---- payments: receipts of one customer on one day are one payment (or two) -------------
    paid_rows = np.flatnonzero(part_paid)
    r_doc = doc_of_part[paid_rows]
    r_date = part_date[paid_rows]
    r_amount = part_amount[paid_rows]
    r_cust_local = cust[r_doc] - lo
    batch = np.where(has_habit[r_doc], 0, rng.integers(0, 2, len(paid_rows)))
    pay_key = ((r_date - start + 1_000) * nb + r_cust_local) * 2 + batch
    pay_keys, r_payment = np.unique(pay_key, return_inverse=True)
    n_pay = len(pay_keys)
    pay_cust = lo + (pay_keys // 2) % nb
    pay_date = pay_keys // 2 // nb + start - 1_000
    pay_amount = np.bincount(r_payment, weights=r_amount, minlength=n_pay).astype(np.int64)
    unapplied = rng.random(n_pay) < 0.005  # rare cash on account, not matched to any document
    pay_amount += np.where(unapplied, rng.integers(100, 3_000, n_pay) * 100, 0)
    if block == 0:
        pay_date, pay_amount, planted = _plant_receipt_anomalies(w, pay_cust, pay_date, pay_amount)
    is_cny = w.currency[pay_cust] == 0
    method = np.where(is_cny, _pick(rng, _METHOD_PROBS_CN, n_pay), _pick(rng, _METHOD_PROBS_FOREIGN, n_pay))
    method = np.where(is_cny & (method == 1) & (pay_amount < 5_000_000), 0, method)  # bills only for big receipts
    pay_number = counters.payment + 1 + np.arange(n_pay)
    counters.payment += n_pay
    payment_ids = _ids("RCV", pay_number, 9)
    if block == 0:
        w.planted_receipts.extend((payment_ids[i].as_py(), code) for i, code in planted)
    writer.write(
        "erp_payments",
        {
            "payment_id": payment_ids,
            "customer_id": w.customer_ids.take(pa.array(pay_cust)),
            "payment_date": pay_date,
            "amount": pay_amount,
            "currency": np.array(CURRENCIES)[w.currency[pay_cust]],
            "method": _strings(_METHODS[method], rng.random(n_pay) < 0.01),
            "updated_at": _ts(pay_date, _office_seconds(rng, n_pay)),
        },
    )

    # ---- applications: receipts and credit notes against documents --------------------------
    app_doc = np.concatenate([r_doc, cn_doc])
    app_payment = np.concatenate([r_payment, np.full(n_cn, -1)])
    app_cn = np.concatenate([np.full(len(r_doc), -1), np.arange(n_cn)])
    app_date = np.concatenate([r_date, cn_date])
    app_amount = np.concatenate([r_amount, cn_amount])
    n_app = len(app_doc)
    a_order = np.lexsort((app_doc, app_date))
    app_number = np.empty(n_app, dtype=np.int64)
    app_number[a_order] = counters.application + 1 + np.arange(n_app)
    counters.application += n_app
    writer.write(
        "erp_payment_applications",
        {
            "application_id": _ids("APP", app_number, 10),
            "invoice_id": doc_ids.take(pa.array(app_doc)),
            "payment_id": _take(payment_ids, app_payment),
            "credit_note_id": _take(cn_ids, app_cn),
            "applied_date": app_date,
            "amount_applied": app_amount,
            "updated_at": _ts(app_date, _office_seconds(rng, n_app)),
        },
    )

    # ---- invoices table ----------------------------------------------------------------------
    doc_rep = w.rep[all_cust]
    handover = rng.random(d + n_cn) < 0.05  # a colleague booked the document
    doc_rep = np.where(handover, rng.integers(0, len(w.rep_ids), d + n_cn), doc_rep)
    doc_rep = np.where(rng.random(d + n_cn) < 0.01, -1, doc_rep)
    writer.write(
        "erp_invoices",
        {
            "invoice_id": doc_ids,
            "customer_id": w.customer_ids.take(pa.array(all_cust)),
            "document_type": np.array(["invoice", "debit_note", "credit_note"])[doc_kind],
            "invoice_date": all_date,
            "due_date": np.concatenate([due, cn_date]),
            "amount": np.concatenate([amount, cn_amount]),
            "currency": np.array(CURRENCIES)[w.currency[all_cust]],
            "order_id": _take(order_ids, np.concatenate([doc_order, np.full(n_cn, -1)])),
            "sales_rep_id": _take(w.rep_ids, doc_rep),
            "updated_at": _ts(all_date, _office_seconds(rng, d + n_cn)),
        },
    )
    writer.write(
        "erp_orders",
        {
            "order_id": order_ids,
            "customer_id": w.customer_ids.take(pa.array(order_cust)),
            "order_date": order_date,
            "amount": order_amount,
            "currency": np.array(CURRENCIES)[w.currency[order_cust]],
            "status": np.array(["open", "invoiced", "cancelled"])[order_status],
            "updated_at": _ts(order_changed, _office_seconds(rng, n_orders)),
        },
    )

    n_wo = len(all_wo_doc)
    writer.write(
        "erp_writeoffs",
        {
            "writeoff_id": _ids("WO", counters.writeoff + 1 + np.arange(n_wo), 8),
            "invoice_id": doc_ids.take(pa.array(all_wo_doc)),
            "writeoff_date": all_wo_date,
            "amount": all_wo_amount,
            "reason": all_wo_reason,
            "updated_at": _ts(all_wo_date, _office_seconds(rng, n_wo)),
        },
    )
    counters.writeoff += n_wo

    _simulate_collection(
        w, rng, counters, writer,
        doc_ids=doc_ids, cust=cust, arch=arch, is_legacy=is_legacy, is_debit=is_debit, inv_date=inv_date, due=due,
        settle=settle, fully_paid=fully_paid, written_off_on=written_off_on, payable=payable,
        last_part_amount=part_amount[last_part_row],
    )  # fmt: skip


def _simulate_collection(
    w: _World,
    rng,
    counters: _Counters,
    writer: _LandingWriter,
    *,
    doc_ids,
    cust,
    arch,
    is_legacy,
    is_debit,
    inv_date,
    due,
    settle,
    fully_paid,
    written_off_on,
    payable,
    last_part_amount,
) -> None:
    """crm_activities, crm_promises and crm_disputes from each document's payment story."""
    end = w.end
    d = len(cust)
    # Chasing runs from the due date until the money came, the balance was written off, or today.
    chase_end = np.where(fully_paid, settle, np.where(written_off_on != NULL_DAY, written_off_on, end))
    chase_end = np.minimum(chase_end, end)
    span = chase_end - due
    chased = (span >= 7) & ((rng.random(d) < _CHASE_PROB[arch]) | is_legacy)
    n_contacts = np.where(chased, np.clip(span // _CHASE_INTERVAL[arch], 1, _CHASE_CAP[arch]), 0)
    doc, k = _within_group(n_contacts)
    n_doc = n_contacts[doc]
    act_date = due[doc] + np.round((k + 1) * span[doc] / (n_doc + 1)).astype(np.int64) + rng.integers(-2, 3, len(doc))
    act_date = np.clip(act_date, due[doc] + 1, chase_end[doc] - 1)
    outcome = _pick(rng, _OUTCOME_PROBS[arch[doc]])
    # The forgotten legacy invoice: the first contact is where the customer raised a dispute.
    legacy_dispute = is_legacy & (rng.random(d) < 0.85)
    outcome = np.where(legacy_dispute[doc] & (k == 0), 3, outcome)
    outcome = np.where(is_legacy[doc] & (k > 0) & (outcome == 2), 1, outcome)  # no promises on it any more
    promised_date = act_date + rng.integers(3, 11, len(doc))
    promised_amount = np.where(
        arch[doc] == CASH, np.round(payable[doc] * rng.uniform(0.3, 0.7, len(doc))), payable[doc]
    ).astype(np.int64)

    # A last promise right before the settlement, kept: the receipt lands on or before the promised date.
    final = fully_paid & (settle - due >= 10) & (rng.random(d) < _FINAL_PROMISE_PROB[arch])
    final_doc = np.flatnonzero(final)
    final_date = np.maximum(settle[final_doc] - rng.integers(2, 8, len(final_doc)), due[final_doc] + 1)
    final_promised = settle[final_doc] + rng.integers(0, 4, len(final_doc))
    # A confirmation call after some settlements, and pre-due reminders on a few invoices.
    confirm_doc = np.flatnonzero(chased & fully_paid & (rng.random(d) < 0.1))
    confirm_date = settle[confirm_doc] + rng.integers(0, 4, len(confirm_doc))
    keep = confirm_date <= end
    confirm_doc, confirm_date = confirm_doc[keep], confirm_date[keep]
    remind_doc = np.flatnonzero((~is_debit) & (due <= end) & (due - 3 > inv_date) & (rng.random(d) < 0.04))
    remind_date = due[remind_doc] - 3

    act_doc = np.concatenate([doc, final_doc, confirm_doc, remind_doc])
    act_day = np.concatenate([act_date, final_date, confirm_date, remind_date])
    act_outcome = np.concatenate(
        [outcome, np.full(len(final_doc), 2), np.full(len(confirm_doc), 5), np.full(len(remind_doc), 1)]
    )
    act_promised = np.concatenate([promised_date, final_promised, np.zeros(len(confirm_doc) + len(remind_doc), int)])
    act_promised_amount = np.concatenate(
        [promised_amount, last_part_amount[final_doc], np.zeros(len(confirm_doc) + len(remind_doc), np.int64)]
    )
    n_act = len(act_doc)
    act_cust = cust[act_doc]
    act_arch = arch[act_doc]
    channel = _pick(rng, _CHANNEL_PROBS[act_arch])
    days_overdue = act_day - due[act_doc]
    escalate = np.isin(act_arch, (CASH, DELAYER, LEGACY)) & (days_overdue > 120) & (rng.random(n_act) < 0.3)
    channel = np.where(escalate, np.where(rng.random(n_act) < 0.5, 5, 3), channel)
    channel = np.where(np.arange(n_act) >= n_act - len(remind_doc), 1, channel)  # reminders go by e-mail
    act_seconds = _office_seconds(rng, n_act)
    act_ts = _ts(act_day, act_seconds)

    # Chronological ids within the block.
    a_order = np.lexsort((act_seconds, act_cust, act_day))
    act_number = np.empty(n_act, dtype=np.int64)
    act_number[a_order] = counters.activity + 1 + np.arange(n_act)
    counters.activity += n_act
    activity_ids = _ids("ACT", act_number, 10)

    # Mostly the customer's first (finance) contact; never someone flagged do-not-contact.
    first_contact = w.contact_first[act_cust]
    contact = first_contact + (rng.random(n_act) * w.contact_count[act_cust]).astype(np.int64)
    contact = np.where((rng.random(n_act) < 0.5) | w.contact_dnc[contact], first_contact, contact)
    contact = np.where(rng.random(n_act) < 0.1, -1, contact)
    contact_ids = _take(_ids("CT", np.arange(1, len(w.contact_dnc) + 1), 7), contact)
    collector = np.where(channel == 5, w.manager[act_cust], w.rep[act_cust])
    collector = np.where(rng.random(n_act) < 0.03, -1, collector)
    # Account-level contacts (and promises "on account") name no document.
    general = np.isin(act_outcome, (0, 1, 2)) & (rng.random(n_act) < 0.02)
    act_invoice = np.where(general, -1, act_doc)

    outcome_names = np.array(ACTIVITY_OUTCOMES)
    note_pool = np.array([note for o in ACTIVITY_OUTCOMES for note in NOTES[o]])
    note_offset = np.cumsum([0] + [len(NOTES[o]) for o in ACTIVITY_OUTCOMES])
    note_idx = note_offset[act_outcome] + (rng.random(n_act) * np.diff(note_offset)[act_outcome]).astype(int)
    notes = note_pool[note_idx]
    tricky = rng.random(n_act) < 0.005
    notes = np.where(tricky, np.array(TRICKY_NOTES)[rng.integers(0, len(TRICKY_NOTES), n_act)], notes)
    writer.write(
        "crm_activities",
        {
            "activity_id": activity_ids,
            "customer_id": w.customer_ids.take(pa.array(act_cust)),
            "invoice_id": _take(doc_ids, act_invoice),
            "contact_id": contact_ids,
            "collector_id": _take(w.rep_ids, collector),
            "activity_ts": act_ts,
            "channel": np.array(ACTIVITY_CHANNELS)[channel],
            "outcome": outcome_names[act_outcome],
            "notes": _strings(notes, rng.random(n_act) < 0.08),
            "updated_at": act_ts,
        },
    )

    # ---- promises ----------------------------------------------------------------------------
    p_rows = np.flatnonzero(act_outcome == 2)
    p_rows = p_rows[np.argsort(act_number[p_rows], kind="stable")]
    n_p = len(p_rows)
    writer.write(
        "crm_promises",
        {
            "promise_id": _ids("PTP", counters.promise + 1 + np.arange(n_p), 9),
            "customer_id": w.customer_ids.take(pa.array(act_cust[p_rows])),
            "invoice_id": _take(doc_ids, act_invoice[p_rows]),
            "activity_id": activity_ids.take(pa.array(p_rows)),
            "promised_date": act_promised[p_rows],
            "promised_amount": np.maximum(act_promised_amount[p_rows], 1),
            "created_at": act_ts[p_rows],
            "updated_at": act_ts[p_rows],
        },
    )
    counters.promise += n_p

    # ---- disputes: the first dispute_raised contact per document opens one ----------------
    dispute_rows = np.flatnonzero((act_outcome == 3) & (act_invoice >= 0))
    dispute_rows = dispute_rows[np.lexsort((act_day[dispute_rows], act_doc[dispute_rows]))]
    _, first = np.unique(act_doc[dispute_rows], return_index=True)
    dispute_rows = dispute_rows[first]
    dispute_rows = dispute_rows[np.argsort(act_number[dispute_rows], kind="stable")]
    n_d = len(dispute_rows)
    dd = act_doc[dispute_rows]
    d_arch = arch[dd]
    opened = act_day[dispute_rows]
    # DISPUTE_STATUSES order: open, resolved, rejected. Delayers' disputes are pretexts and get rejected.
    status_probs = np.where((d_arch == DELAYER)[:, None], np.array([0.0, 0.15, 0.85]), np.array([0.1, 0.6, 0.3]))
    status = _pick(rng, status_probs)
    status = np.where(is_legacy[dd], 0, status)
    resolved = opened + rng.integers(5, 61, n_d)
    status = np.where(resolved > end, 0, status)
    resolved = np.where(status == 0, NULL_DAY, resolved)
    reason = np.where(
        is_legacy[dd], _pick(rng, _LEGACY_DISPUTE_REASON_PROBS, n_d), _pick(rng, _DISPUTE_REASON_PROBS, n_d)
    )
    disputed = np.where(is_legacy[dd], payable[dd], np.round(payable[dd] * rng.uniform(0.2, 1.0, n_d)))
    writer.write(
        "crm_disputes",
        {
            "dispute_id": _ids("DSP", counters.dispute + 1 + np.arange(n_d), 8),
            "invoice_id": doc_ids.take(pa.array(dd)),
            "customer_id": w.customer_ids.take(pa.array(cust[dd])),
            "opened_date": opened,
            "reason": np.array(DISPUTE_REASONS)[reason],
            "disputed_amount": np.maximum(disputed, 1).astype(np.int64),
            "status": np.array(DISPUTE_STATUSES)[status],
            "resolved_date": resolved,
            "updated_at": _ts(np.where(status == 0, opened, resolved), _office_seconds(rng, n_d)),
        },
    )
    counters.dispute += n_d


# --- entry points ------------------------------------------------------------------------------


def _start_date(end_date: date, years: int) -> date:
    try:
        back = end_date.replace(year=end_date.year - years)
    except ValueError:  # 29 February
        back = end_date.replace(year=end_date.year - years, day=28)
    return back + timedelta(days=1)


def generate(
    landing_dir: Path,
    *,
    scale: str | None = "S",
    customers: int | None = None,
    seed: int = 42,
    file_format: Literal["csv", "parquet"] = "csv",
    end_date: date = date(2026, 10, 31),
    years: int = 3,
    ground_truth_path: Path | None = None,
) -> GenerationResult:
    """Write every contract table under ``landing_dir`` and the archetype ground truth beside it."""
    began = time.perf_counter()
    if customers is None:
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {sorted(SCALES)} or customers given, got {scale!r}")
        customers = SCALES[scale]
    if customers < 1:
        raise ValueError("customers must be >= 1")
    if years < 2:
        raise ValueError("years must be >= 2 (legacy_problem needs an invoice over a year past due)")
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be 'csv' or 'parquet', got {file_format!r}")
    landing_dir = Path(landing_dir)
    ground_truth_path = Path(ground_truth_path or landing_dir.parent / "demo_ground_truth" / "customer_archetypes.csv")
    start_date = _start_date(end_date, years)
    start, end = _day(start_date), _day(end_date)

    writer = _LandingWriter(landing_dir, file_format)
    world, truth = _build_world(seed, customers, start, end, writer)
    _write_fx(seed, start, end, writer)
    counters = _Counters()
    for block, lo in enumerate(range(0, customers, BLOCK_CUSTOMERS)):
        _simulate_block(world, block, lo, min(lo + BLOCK_CUSTOMERS, customers), counters, writer)

    ground_truth_path.parent.mkdir(parents=True, exist_ok=True)
    pa_csv.write_csv(pa.table(truth), ground_truth_path, pa_csv.WriteOptions(quoting_style="needed"))
    planted = world.planted_receipts
    pa_csv.write_csv(
        pa.table({"payment_id": [p for p, _ in planted], "check_code": [c for _, c in planted]}),
        ground_truth_path.parent / PLANTED_RECEIPTS_FILE,
    )
    return GenerationResult(
        landing_dir=landing_dir,
        ground_truth_path=ground_truth_path,
        start_date=start_date,
        end_date=end_date,
        row_counts=dict(writer.row_counts),
        seconds=time.perf_counter() - began,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the demo ERP/CRM landing files.")
    parser.add_argument("--landing-dir", type=Path, required=True)
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--customers", type=int, default=None, help="overrides --scale")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--format", dest="file_format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2026, 10, 31))
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--ground-truth-path", type=Path, default=None)
    args = parser.parse_args(argv)
    result = generate(
        args.landing_dir,
        scale=args.scale,
        customers=args.customers,
        seed=args.seed,
        file_format=args.file_format,
        end_date=args.end_date,
        years=args.years,
        ground_truth_path=args.ground_truth_path,
    )
    summary = {
        "landing_dir": str(result.landing_dir),
        "ground_truth_path": str(result.ground_truth_path),
        "start_date": result.start_date.isoformat(),
        "as_of_date": result.end_date.isoformat(),
        "row_counts": result.row_counts,
        "seconds": round(result.seconds, 2),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
