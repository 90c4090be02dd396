"""What the demo steps share: the seeded random source, the objects made so far, and generators
of valid identifiers (GB 11643 ID numbers, GB 32100 credit codes, mobile numbers)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from stdnum.cn import ric, uscc

from . import names

SEED = 20260101
# Passes every password validator in settings (length, three character classes, not common).
DEMO_PASSWORD = "Demo-Wage-2026"


@dataclass
class DemoContext:
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    actor: object | None = None
    territories: dict = field(default_factory=dict)
    streets: list = field(default_factory=list)
    communities: list = field(default_factory=list)
    grids: list = field(default_factory=list)
    organisations: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    enterprises: list = field(default_factory=list)
    enterprises_by_kind: dict = field(default_factory=dict)
    projects: list = field(default_factory=list)
    contractor_enterprise: object | None = None
    api_token: str = ""
    counts: dict = field(default_factory=dict)
    _used_names: set = field(default_factory=set)
    _used_credit_codes: set = field(default_factory=set)
    _used_phones: set = field(default_factory=set)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    # -------------------------------------------------------------- people

    def person_name(self) -> str:
        rng = self.rng
        given = rng.choice(names.GIVEN_NAMES)
        if rng.random() < 0.35:
            given = given[:1]
        return rng.choice(names.SURNAMES) + given

    def id_number(self, *, born_from: int = 1966, born_to: int = 1998, local: bool = False) -> str:
        """A valid 18-digit resident ID number (region, birth date and check digit all valid)."""
        rng = self.rng
        while True:
            region = "110105" if local else rng.choice(names.ID_REGIONS)
            birth = date(born_from, 1, 1) + timedelta(days=rng.randrange((date(born_to, 12, 31) - date(born_from, 1, 1)).days))
            body = f"{region}{birth:%Y%m%d}{rng.randrange(1, 1000):03d}"
            number = body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit
            try:
                return ric.validate(number)
            except Exception:  # a region code not assigned in that birth year: draw again
                continue

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(names.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self._used_phones:
                self._used_phones.add(number)
                return number

    # -------------------------------------------------------------- enterprises

    def credit_code(self, *, individual: bool = False, old_style: bool = False) -> str:
        """A valid unified social credit code registered in the district (110105)."""
        rng = self.rng
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        while True:
            if old_style:  # the organisation code of an enterprise registered before 2015
                org = f"{rng.randrange(10**8):08d}" + rng.choice("0123456789X")
            else:
                org = "MA0" + "".join(rng.choice(alphabet) for _ in range(6))
            body = ("92" if individual else "91") + "110105" + org
            code = body + uscc.calc_check_digit(body)
            if code not in self._used_credit_codes:
                self._used_credit_codes.add(code)
                return uscc.validate(code)

    def unique_name(self, make) -> str:
        for _ in range(1000):
            name = make()
            if name not in self._used_names:
                self._used_names.add(name)
                return name
        raise RuntimeError("演示数据:企业名称池不够用")

    def address(self, street) -> str:
        road = self.rng.choice(names.ROADS)
        return f"示范区{street.name}{road}{self.rng.randrange(1, 300)}号"
