#!/usr/bin/env python3
"""Generate the Acme example data set (calendar 2026) next to this file.

Rerun from anywhere with:

    python3 examples/acme/generate.py

Python 3 standard library only. Seeded with random.Random(2026) and free of any other source of
randomness or of the clock, so a rerun rewrites byte-identical files:

    reps.csv    HRIS roster, canonical headers
    deals.csv   Salesforce opportunity report: CRM headers, US dates (%m/%d/%Y), "12,500.00" amounts
    quotas.csv  quarterly quotas 2026-Q1..2026-Q4, canonical headers, measure column, USD (units for channel,
                deal counts for new_logos and meetings)
    fx.csv      EUR rate (USD per 1 EUR) on the first of each month, 2025-12-01..2027-01-01
    credits.csv split and overlay credits (deal_id, rep_id, share, kind)
    assignments.csv  plan history of the one rep who changes plan (rep_id, plan, from, to, target_incentive)

How the numbers are made: each non-manager rep has a quarterly quota (role base x a personal factor x a
seasonal factor). For every rep and quarter an attainment is drawn (30%..190%, mode 95%) and closed-won deals
are generated whose measured amount (or units) adds up to about that attainment; lost deals and deals of
types the rep's measure ignores are added around them. Measures assumed when sizing quotas:

    bookings  (ae-mm, ae-ent, mgr)  Closed Won, Type in {New Business, Upsell}, Amount converted to USD
    renewals  (am)                  Closed Won, Type in {Renewal, Upsell}, Amount in USD
    units     (channel)             Closed Won, any Type, sum of Quantity

Manager quotas are their whole subtree's actual bookings divided by a drawn attainment (85%..120%),
computed on the deals of the original sellers (before any of the additions below). The VP A001 (plan
vp, no manager) is over the first-line managers A002 and A003 (plan mgr); every seller's manager_id
names one of those two.

Added later without changing any value above (the new rows are appended, and drawn from their own
generator, random.Random(2031), after every draw of the main one):

    new_logos (ae-mm)  Closed Won, Type New Business, count of deals; quota 3 a quarter, 4 in Q4
    meetings  (sdr)    Stage Qualified, count of opportunities by created_date; quota about 15 a quarter
                       (role base x a personal factor x the seasonal factor), attainment drawn 40%..170%

The sales development reps (SDRs) A031..A033 own the opportunities they qualified: Stage "Qualified",
Type New Business, a pipeline amount (USD 8,000..60,000), created on a weekday of 2026 and expected to
close 3 to 12 weeks later. Their ids, OPP-10429 on, follow the existing ones. For them deals.csv gained a
last column, Created Date (%m/%d/%Y, like every date of the file), filled for every row; the other
columns of the original rows are unchanged.

Added later again, for crediting and people changes, without changing any value above: the rows are
appended (new reps after A033, new deals after OPP-10611, new quotas after the SDRs'), and drawn from
their own generator, random.Random(2041), after every draw of the other two. Earlier versions left the
managers out of reps.csv and quotas.csv (and the sellers' manager_id empty) until the engine computed
roll-ups; their draws were made all along, so adding them moved nothing.

    split       one mid-market New Business deal closed after Q1 (not of a rep the READMEs quote),
                60% to its owner and 40% to an ae-mm colleague of the same territory (credits.csv)
    overlay     A034 (solutions engineer, plan se, under A003) at 100% on top of 8 North American
                Enterprise deals of 2026 of 100,000 USD or more (credits.csv, kind overlay)
    hire        A035, ae-mm, starting 2026-07-01 under A002; the ae-mm plan's ramp (25%, 50%, 75% of
                quota in the first three calendar months) applies; quotas for Q3 and Q4
    plan change A032 (an SDR) moves to ae-mm on 2026-05-16 (assignments.csv; target incentive 60,000);
                ae-mm quotas for Q2..Q4; opportunities qualified after that date stay in the file
    termination A010 leaves on 2026-08-14 (reps.csv end_date); the deals closed after it stay in the file

Added for `payout insights`, again without changing any value above, from their own generator,
random.Random(2077), after every other draw:

    open pipeline   OPP-10625 on: two or three open opportunities (Stage "Proposal" or "Negotiation")
                    of each ae-mm, ae-ent and am seller, closing from 2026-03-09 to 2026-06-30; no plan
                    measures an open stage, so no payout changes
    snapshots       pipeline-2026-01-01.csv, pipeline-2026-02-01.csv, pipeline-2026-03-01.csv: every
                    opportunity open on that date (created on or before it, closing after it), in the
                    deals file's layout, with the stage and expected close date it had then: some
                    opportunities were expected earlier and slipped, a few of them twice
    leads.csv       inbound leads of 2026-01..2026-04 for the SDRs and mid-market AEs (lead_id, rep_id,
                    created, first_response, source), timestamps in the workspace's zone; about one in
                    twelve never answered
                and are not credited

The new reps' bookings quotas are drawn like the others' (role base x a personal factor x the seasonal
factor); their deals are sized against the quota the engine applies (prorated by days on the plan and
ramped), at an attainment drawn 60%..140% (hire) or 50%..140% (plan change), closing from two weeks
after they start on ae-mm.
"""
import csv
import datetime as dt
import math
import pathlib
import random
from decimal import ROUND_HALF_UP, Decimal

HERE = pathlib.Path(__file__).resolve().parent
rng = random.Random(2026)
CENT = Decimal("0.01")
YEAR = 2026
QUARTERS = [f"{YEAR}-Q{q}" for q in range(1, 5)]
SEASON = {1: Decimal("0.90"), 2: Decimal("1.00"), 3: Decimal("0.95"), 4: Decimal("1.15")}

# --------------------------------------------------------------------------------------------------
# Roster. (name, plan, territory, currency); ids are assigned by start date after the managers.
MANAGERS = [
    # rep_id, name, team, territory, start_date, target_incentive, manager_id
    ("A001", "Margaret Okafor", "Sales", "Global", "2021-03-01", 150000, ""),
    ("A002", "Daniel Reyes", "Commercial", "NA", "2022-06-13", 110000, "A001"),
    ("A003", "Priya Raman", "Strategic", "Global", "2022-09-06", 120000, "A001"),
]
REPS = [
    # ae-mm: mid-market AEs, North America, report to Daniel Reyes (Commercial)
    ("Jordan Whitaker", "ae-mm", "NA-East"), ("Emily Chen", "ae-mm", "NA-West"),
    ("Marcus Johnson", "ae-mm", "NA-Central"), ("Sofia Alvarez", "ae-mm", "NA-West"),
    ("Tyler Brooks", "ae-mm", "NA-East"), ("Hannah Kim", "ae-mm", "NA-West"),
    ("Ryan O'Connor", "ae-mm", "NA-East"), ("Aisha Patel", "ae-mm", "NA-Central"),
    ("Kevin Nguyen", "ae-mm", "NA-West"), ("Lauren Mitchell", "ae-mm", "NA-East"),
    ("Carlos Mendoza", "ae-mm", "NA-Central"), ("Brittany Walsh", "ae-mm", "NA-East"),
    ("Ethan Park", "ae-mm", "NA-West"),
    # channel: partner managers, report to Daniel Reyes
    ("Brian Kowalski", "channel", "NA-East"), ("Natalie Rossi", "channel", "NA-West"),
    ("Derek Washington", "channel", "NA-Central"),
    # ae-ent: enterprise AEs, two in EMEA (EUR), report to Priya Raman (Strategic)
    ("Michael Harrington", "ae-ent", "NA-East"), ("Rachel Goldberg", "ae-ent", "NA-West"),
    ("David Thompson", "ae-ent", "NA-Central"), ("Nicole Foster", "ae-ent", "NA-East"),
    ("Lena Müller", "ae-ent", "EMEA"), ("Julien Lefèvre", "ae-ent", "EMEA"),
    # am: account managers (renewals and upsell), report to Priya Raman
    ("Grace Liu", "am", "NA-East"), ("Samuel Adeyemi", "am", "NA-Central"),
    ("Megan Fitzgerald", "am", "NA-West"), ("Omar Haddad", "am", "NA-East"),
    ("Christine Yamamoto", "am", "NA-West"),
]
# sdr: sales development reps, qualify new-business opportunities; added after everyone else, so their
# ids (A031..) and their draws come after the others' (see build_sdrs)
SDRS = [("Olivia Grant", "NA-East"), ("Mateo Silva", "NA-West"), ("Jasmine Carter", "NA-Central")]
TEAM = {"ae-mm": "Mid-Market", "channel": "Channel", "ae-ent": "Enterprise", "am": "Account Management",
        "sdr": "Sales Development"}
MANAGER_OF = {"ae-mm": "A002", "channel": "A002", "ae-ent": "A003", "am": "A003", "sdr": "A002"}
MEASURE = {"ae-mm": "bookings", "ae-ent": "bookings", "am": "renewals", "channel": "units"}
# quarterly quota base (USD, or units for channel) and annual target incentive choices
QUOTA_BASE = {"ae-mm": 105000, "ae-ent": 270000, "am": 210000, "channel": 800}
TI_CHOICES = {
    "ae-mm": [60000, 65000, 70000, 75000],
    "ae-ent": [100000, 110000, 120000],
    "am": [60000, 65000, 70000],
    "channel": [60000, 65000, 70000],
}
TI_EUR = [85000, 90000, 95000]
# deal amount ranges in USD: (low, high, mode)
RANGE = {
    "mid": (5000, 80000, 30000),
    "ent": (40000, 400000, 120000),
    "renewal": (10000, 150000, 40000),
    "channel": (2000, 60000, 20000),
}
PRODUCTS = ["Platform", "Analytics", "Cloud", "Services"]
SEAT_PRICE = {"Platform": (600, 1200), "Analytics": (400, 800), "Cloud": (300, 900)}


def email_of(name):
    ascii_name = (name.replace("ü", "u").replace("è", "e").replace("é", "e").replace("'", "")
                  .lower().split())
    return f"{ascii_name[0]}.{ascii_name[-1]}@acme-analytics.example"


def random_date(lo, hi):
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


def build_roster():
    people = []
    for name, plan, territory in REPS:
        start = random_date(dt.date(2024, 1, 8), dt.date(2025, 11, 28))
        if rng.random() < 0.12:  # a few veterans
            start = random_date(dt.date(2022, 1, 10), dt.date(2023, 12, 15))
        eur = territory == "EMEA"
        ti = rng.choice(TI_EUR if eur else TI_CHOICES[plan])
        people.append(dict(name=name, plan=plan, email=email_of(name), manager_id=MANAGER_OF[plan],
                           team=TEAM[plan], territory=territory, start_date=start,
                           target_incentive=ti, currency="EUR" if eur else "USD"))
    people.sort(key=lambda p: (p["start_date"], p["name"]))
    for i, p in enumerate(people):
        p["rep_id"] = f"A{i + 4:03d}"
    # the VP (no manager above) is on the `vp` plan, the first-line managers on `mgr`
    roster = [dict(rep_id=r, name=n, plan="mgr" if m else "vp", email=email_of(n), manager_id=m, team=t,
                   territory=ter, start_date=dt.date.fromisoformat(s), target_incentive=ti, currency="USD")
              for r, n, t, ter, s, ti, m in MANAGERS]
    return roster + people


# --------------------------------------------------------------------------------------------------
def build_fx():
    rates, r = {}, 1.0840
    month = dt.date(2025, 12, 1)
    while month <= dt.date(2027, 1, 1):
        r = min(1.118, max(1.052, r + rng.uniform(-0.011, 0.012)))
        rates[month] = Decimal(f"{r:.4f}")
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return rates


def rate_on(rates, day):
    return rates[max(d for d in rates if d <= day)]


# --------------------------------------------------------------------------------------------------
def money(x):
    return Decimal(str(x)).quantize(CENT, rounding=ROUND_HALF_UP)


def nice(usd):
    """A deal amount as a person would quote it: often round, sometimes discounted to the cent."""
    u = rng.random()
    if u < 0.45:
        step = 500 if usd >= 20000 else 100
        return Decimal(max(step, round(usd / step) * step)).quantize(CENT)
    if u < 0.75:
        return Decimal(round(usd)).quantize(CENT)
    return money(usd)


def split_target(total, lo, hi, mean):
    """n positive parts within [lo, hi] adding up to about total."""
    n = max(1, round(total / mean), math.ceil(total / hi))
    if total / n < lo:
        n = max(1, math.floor(total / lo))
    weights = [rng.uniform(0.5, 1.5) for _ in range(n)]
    s = sum(weights)
    return [min(hi, max(lo, total * w / s)) for w in weights]


def close_date_in(q):
    """A weekday in quarter q, skewed to the end of the quarter."""
    m = 3 * (q - 1) + rng.choices([1, 2, 3], weights=[25, 30, 45])[0]
    first = dt.date(YEAR, m, 1)
    last = dt.date(YEAR + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)
    lo = last - dt.timedelta(days=8) if m % 3 == 0 and rng.random() < 0.4 else first
    while True:
        d = random_date(lo, last)
        if d.weekday() < 5:
            return d


def pick_type(plan, measured):
    if plan in ("ae-mm", "ae-ent"):
        return rng.choices(["New Business", "Upsell"], [85, 15])[0] if measured else "Renewal"
    if plan == "am":
        return rng.choices(["Renewal", "Upsell"], [72, 28])[0] if measured else "New Business"
    return rng.choices(["New Business", "Upsell"], [75, 25])[0]  # channel: every type counts


class Accounts:
    def __init__(self):
        self.next_id = 30001
        self.owned = {}

    def new(self, rep):
        acc = f"ACC-{self.next_id}"
        self.next_id += 1
        self.owned.setdefault(rep, []).append(acc)
        return acc

    def existing(self, rep):
        pool = self.owned.get(rep)
        return rng.choice(pool) if pool and rng.random() < 0.85 else self.new(rep)


def make_deal(rep, day, won, typ, usd, rates, accounts, quantity=None):
    plan = rep["plan"]
    if plan == "channel":
        product = rng.choices(["Platform", "Cloud", "Analytics"], [40, 40, 20])[0]
        segment = rng.choices(["SMB", "Mid-Market"], [60, 40])[0]
    else:
        product = rng.choices(PRODUCTS, [40, 25, 25, 10])[0]
        if plan == "ae-mm":
            segment = rng.choices(["Mid-Market", "SMB"], [80, 20])[0]
        elif plan == "ae-ent":
            segment = "Enterprise"
        else:
            segment = "SMB" if usd < 30000 else "Mid-Market" if usd < 90000 else "Enterprise"
    if rep["currency"] == "EUR":
        amount = nice(usd / float(rate_on(rates, day)))
    else:
        amount = nice(usd)
    if quantity is None:
        if product == "Services":
            quantity = max(1, round(float(amount) / rng.uniform(1500, 2200)))  # consulting days
        else:
            quantity = max(1, round(float(amount) / rng.uniform(*SEAT_PRICE[product])))  # seats
    margin_pct = rng.uniform(0.60, 0.70) if product == "Services" else rng.uniform(0.72, 0.85)
    account = accounts.existing(rep["rep_id"]) if typ in ("Upsell", "Renewal") else accounts.new(rep["rep_id"])
    return dict(owner=rep["rep_id"], account=account, amount=amount, currency=rep["currency"],
                close=day, stage="Closed Won" if won else "Closed Lost", type=typ, product=product,
                segment=segment, quantity=int(quantity),
                margin=(amount * Decimal(f"{margin_pct:.4f}")).quantize(CENT, rounding=ROUND_HALF_UP),
                territory=rep["territory"], created=day - dt.timedelta(days=rng.randint(14, 150)))


def deal_range(plan, typ):
    if plan == "am" or typ == "Renewal":
        return RANGE["renewal"]
    return RANGE["ent"] if plan == "ae-ent" else RANGE["channel"] if plan == "channel" else RANGE["mid"]


def random_usd(plan, typ):
    lo, hi, mode = deal_range(plan, typ)
    return rng.triangular(lo, hi, mode)


def channel_deal(rep, day, won, typ, units, rates, accounts):
    usd = min(60000, max(2000, units * rng.uniform(110, 130)))
    return make_deal(rep, day, won, typ, usd, rates, accounts, quantity=units)


def build_deals(roster, rates, accounts):
    deals, quotas = [], []
    sellers = [r for r in roster if r["plan"] not in ("mgr", "vp")]
    for rep in sellers:
        plan = rep["plan"]
        factor = Decimal(f"{rng.uniform(0.85, 1.15):.3f}")
        for q in range(1, 5):
            quota = QUOTA_BASE[plan] * factor * SEASON[q]
            quota = int((quota / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * 100
            quotas.append(dict(rep_id=rep["rep_id"], period=f"{YEAR}-Q{q}", measure=MEASURE[plan], amount=quota))
            attainment = rng.triangular(0.30, 1.90, 0.95)
            target = quota * attainment
            if plan == "channel":
                parts = split_target(target, 10, 500, 237)
                won = [channel_deal(rep, close_date_in(q), True, pick_type(plan, True), round(u), rates, accounts)
                       for u in parts]
            else:
                lo, hi, mode = deal_range(plan, "Renewal" if plan == "am" else "New Business")
                parts = split_target(target, lo, hi, (lo + hi + mode) / 3)
                won = [make_deal(rep, close_date_in(q), True, pick_type(plan, True), usd, rates, accounts)
                       for usd in parts]
                if rng.random() < (0.15 if plan == "am" else 0.25):  # a type the measure ignores
                    typ = pick_type(plan, False)
                    won.append(make_deal(rep, close_date_in(q), True, typ, random_usd(plan, typ), rates, accounts))
            lost = []
            for _ in range(sum(rng.random() < 0.43 for _ in won)):
                typ = pick_type(plan, rng.random() < 0.9)
                if plan == "channel":
                    lost.append(channel_deal(rep, close_date_in(q), False, typ, rng.randint(10, 400), rates, accounts))
                else:
                    lost.append(make_deal(rep, close_date_in(q), False, typ, random_usd(plan, typ), rates, accounts))
            deals += won + lost
    # a few deals outside 2026, to show "out of period" exclusion
    for day in [dt.date(2025, 12, 3), dt.date(2025, 12, 11), dt.date(2025, 12, 18), dt.date(2025, 12, 22),
                dt.date(2025, 12, 30), dt.date(2025, 12, 31), dt.date(2027, 1, 5), dt.date(2027, 1, 8),
                dt.date(2027, 1, 14), dt.date(2027, 1, 22), dt.date(2027, 1, 29)]:
        rep = rng.choice(sellers)
        typ = pick_type(rep["plan"], True)
        won = rng.random() < 0.75
        if rep["plan"] == "channel":
            deals.append(channel_deal(rep, day, won, typ, rng.randint(10, 400), rates, accounts))
        else:
            deals.append(make_deal(rep, day, won, typ, random_usd(rep["plan"], typ), rates, accounts))
    # Salesforce numbers opportunities when they are created, not when they close
    deals.sort(key=lambda d: (d["created"], d["owner"], d["close"], d["amount"]))
    for i, d in enumerate(deals):
        d["id"] = f"OPP-{10001 + i}"
    return deals, quotas


def manager_quotas(roster, deals, rates):
    reports = {}
    for r in roster:
        if r["manager_id"]:
            reports.setdefault(r["manager_id"], []).append(r["rep_id"])

    def subtree(m):
        out = []
        for r in reports.get(m, []):
            out += [r] + subtree(r)
        return out

    rows = []
    for mgr in [r for r in roster if r["plan"] in ("mgr", "vp")]:
        team = set(subtree(mgr["rep_id"]))
        for q in range(1, 5):
            booked = sum(
                (d["amount"] * (rate_on(rates, d["close"]) if d["currency"] == "EUR" else 1)
                 for d in deals
                 if d["owner"] in team and d["stage"] == "Closed Won" and d["type"] in ("New Business", "Upsell")
                 and d["close"].year == YEAR and (d["close"].month - 1) // 3 + 1 == q),
                Decimal(0))
            quota = booked / Decimal(f"{rng.uniform(0.85, 1.20):.3f}")
            quota = int((quota / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * 1000
            rows.append(dict(rep_id=mgr["rep_id"], period=f"{YEAR}-Q{q}", measure="bookings", amount=quota))
    return rows


# --------------------------------------------------------------------------------------------------
# Added constructs: new-logo quotas for the mid-market AEs, and the SDRs with their qualified
# opportunities. Everything here is drawn from its own generator, after every draw of `rng`, so the
# rows above stay byte for byte what they were.
sdr_rng = random.Random(2031)
NEW_LOGO_QUOTA = {1: 3, 2: 3, 3: 3, 4: 4}
MEETINGS_BASE = 15
SDR_TI = [40000, 45000, 50000]


def new_logo_quotas(roster):
    return [dict(rep_id=r["rep_id"], period=f"{YEAR}-Q{q}", measure="new_logos", amount=NEW_LOGO_QUOTA[q])
            for r in roster if r["plan"] == "ae-mm" for q in range(1, 5)]


def build_sdrs(first_id):
    people = []
    for name, territory in SDRS:
        start = dt.date(2024, 6, 3) + dt.timedelta(days=sdr_rng.randrange(500))
        people.append(dict(name=name, plan="sdr", email=email_of(name), manager_id=MANAGER_OF["sdr"],
                           team=TEAM["sdr"], territory=territory, start_date=start,
                           target_incentive=sdr_rng.choice(SDR_TI), currency="USD"))
    people.sort(key=lambda p: (p["start_date"], p["name"]))
    for i, p in enumerate(people):
        p["rep_id"] = f"A{first_id + i:03d}"
    return people


def weekday_in_quarter(q):
    first = dt.date(YEAR, 3 * q - 2, 1)
    last = dt.date(YEAR + q // 4, 3 * q % 12 + 1, 1) - dt.timedelta(days=1)
    while True:
        d = first + dt.timedelta(days=sdr_rng.randrange((last - first).days + 1))
        if d.weekday() < 5:
            return d


def build_sdr_deals(sdrs, accounts, first_id):
    deals, quotas = [], []
    for rep in sdrs:
        factor = sdr_rng.uniform(0.9, 1.1)
        for q in range(1, 5):
            quota = max(1, round(MEETINGS_BASE * factor * float(SEASON[q])))
            quotas.append(dict(rep_id=rep["rep_id"], period=f"{YEAR}-Q{q}", measure="meetings", amount=quota))
            for _ in range(round(quota * sdr_rng.triangular(0.40, 1.70, 0.95))):
                created = weekday_in_quarter(q)
                product = sdr_rng.choices(PRODUCTS, [40, 25, 25, 10])[0]
                amount = Decimal(round(sdr_rng.triangular(8000, 60000, 20000) / 500) * 500).quantize(CENT)
                per = (1500, 2200) if product == "Services" else SEAT_PRICE[product]
                margin_pct = sdr_rng.uniform(0.60, 0.70) if product == "Services" else sdr_rng.uniform(0.72, 0.85)
                deals.append(dict(
                    owner=rep["rep_id"], account=accounts.new(rep["rep_id"]), amount=amount, currency="USD",
                    close=created + dt.timedelta(weeks=sdr_rng.randint(3, 12)), stage="Qualified",
                    type="New Business", product=product,
                    segment=sdr_rng.choices(["SMB", "Mid-Market"], [55, 45])[0],
                    quantity=max(1, round(float(amount) / sdr_rng.uniform(*per))),
                    margin=(amount * Decimal(f"{margin_pct:.4f}")).quantize(CENT, rounding=ROUND_HALF_UP),
                    territory=rep["territory"], created=created))
    deals.sort(key=lambda d: (d["created"], d["owner"], d["amount"]))
    for i, d in enumerate(deals):
        d["id"] = f"OPP-{first_id + i}"
    return deals, quotas


# --------------------------------------------------------------------------------------------------
# Added with crediting: the managers' rows, a solutions engineer on overlay credit, a split deal, a
# mid-year hire on a ramp, an SDR promoted to the mid-market plan mid-quarter and a termination.
# Drawn from their own generator, after every draw of `rng` and `sdr_rng`, so the rows above stay
# byte for byte what they were.
people_rng = random.Random(2041)
# rep_id comes from the position in the file (after the SDRs), ordered by start date
SE = dict(name="Victor Osei", plan="se", team="Solutions Engineering", territory="NA",
          start_date=dt.date(2023, 4, 17), target_incentive=50000, manager_id="A003")
HIRE = dict(name="Noah Bennett", plan="ae-mm", team=TEAM["ae-mm"], territory="NA-Central",
            start_date=dt.date(2026, 7, 1), target_incentive=65000, manager_id=MANAGER_OF["ae-mm"])
PROMOTED, PROMOTED_ON, PROMOTED_TI = "A032", dt.date(2026, 5, 16), 60000  # Olivia Grant, sdr -> ae-mm
TERMINATED, TERMINATED_ON = "A010", dt.date(2026, 8, 14)                   # Jordan Whitaker, ae-mm
RAMP = [Decimal("0.25"), Decimal("0.50"), Decimal("0.75")]  # plans/acme/ae-mm.toml [ramp] schedule
SE_DEALS = 8
# reps whose numbers the READMEs quote: the split deal leaves them alone
FEATURED = {"A004", "A006", "A008", "A019", "A011", "A030"}


def build_people(first_id):
    people = [dict(p, email=email_of(p["name"]), currency="USD") for p in (SE, HIRE)]
    people.sort(key=lambda p: (p["start_date"], p["name"]))
    for i, p in enumerate(people):
        p["rep_id"] = f"A{first_id + i:03d}"
    return people


def quarter_days(q):
    first = dt.date(YEAR, 3 * q - 2, 1)
    last = dt.date(YEAR + q // 4, 3 * q % 12 + 1, 1) - dt.timedelta(days=1)
    return first, last


def quota_factor(q, active_from, start):
    """The share of a quarter's quota the engine will apply: days on the plan, each weighted by the
    ramp (month of employment 1, 2, 3 at RAMP, 100% after)."""
    first, last = quarter_days(q)
    total, day = Decimal(0), first
    while day <= last:
        if day >= active_from:
            month = (day.year - start.year) * 12 + day.month - start.month
            total += RAMP[month] if month < len(RAMP) else Decimal(1)
        day += dt.timedelta(days=1)
    return total / ((last - first).days + 1)


def new_mm_deal(rep, day, won, typ, usd, accounts, created_from, customers):
    """A mid-market deal like make_deal's, from people_rng; an upsell goes to one of `customers` (the
    accounts this rep has won as an AE), a new business deal to a new account."""
    r = people_rng
    product = r.choices(PRODUCTS, [40, 25, 25, 10])[0]
    u = r.random()
    if u < 0.45:
        step = 500 if usd >= 20000 else 100
        amount = Decimal(max(step, round(usd / step) * step)).quantize(CENT)
    elif u < 0.75:
        amount = Decimal(round(usd)).quantize(CENT)
    else:
        amount = money(usd)
    per = (1500, 2200) if product == "Services" else SEAT_PRICE[product]
    margin_pct = r.uniform(0.60, 0.70) if product == "Services" else r.uniform(0.72, 0.85)
    account = r.choice(customers) if typ == "Upsell" else accounts.new(rep["rep_id"])
    if won and typ == "New Business":
        customers.append(account)
    return dict(owner=rep["rep_id"], account=account, amount=amount, currency="USD", close=day,
                stage="Closed Won" if won else "Closed Lost", type=typ, product=product,
                segment=r.choices(["Mid-Market", "SMB"], [80, 20])[0],
                quantity=max(1, round(float(amount) / r.uniform(*per))),
                margin=(amount * Decimal(f"{margin_pct:.4f}")).quantize(CENT, rounding=ROUND_HALF_UP),
                territory=rep["territory"],
                created=max(created_from, day - dt.timedelta(days=r.randint(14, 120))))


def new_mm_seller(rep, active_from, quarters, accounts, attainments):
    """Quotas (bookings, new_logos) and deals of a rep on ae-mm from active_from, sized like the others'
    against the quota the engine applies (prorated and ramped)."""
    factor = Decimal(f"{people_rng.uniform(0.85, 1.0):.3f}")
    deals, quotas, customers = [], [], []
    lo, hi, mode = RANGE["mid"]
    for q in quarters:
        quota = QUOTA_BASE["ae-mm"] * factor * SEASON[q]
        quota = int((quota / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * 100
        quotas.append(dict(rep_id=rep["rep_id"], period=f"{YEAR}-Q{q}", measure="bookings", amount=quota))
        quotas.append(dict(rep_id=rep["rep_id"], period=f"{YEAR}-Q{q}", measure="new_logos",
                           amount=NEW_LOGO_QUOTA[q]))
        target = float(quota * quota_factor(q, active_from, rep["start_date"])) * people_rng.triangular(*attainments)
        first, last = quarter_days(q)
        first = max(first, active_from + dt.timedelta(days=14))  # the first deals take a few weeks

        def close_day():
            while True:
                d = first + dt.timedelta(days=people_rng.randrange((last - first).days + 1))
                if d.weekday() < 5 and (d.month, d.day) != (12, 25):
                    return d

        won = []
        n = max(1, round(target / ((lo + hi + mode) / 3)))
        weights = [people_rng.uniform(0.5, 1.5) for _ in range(n)]
        for w in weights:
            usd = min(hi, max(lo, target * w / sum(weights)))
            typ = people_rng.choices(["New Business", "Upsell"], [85, 15])[0] if customers else "New Business"
            won.append(new_mm_deal(rep, close_day(), True, typ, usd, accounts, active_from, customers))
        lost = [new_mm_deal(rep, close_day(), False, "New Business", people_rng.triangular(lo, hi, mode),
                            accounts, active_from, customers)
                for _ in range(sum(people_rng.random() < 0.43 for _ in won))]
        deals += won + lost
    return deals, quotas


def in_2026(d):
    return d["close"].year == YEAR


def split_credits(roster, deals):
    """One mid-market deal after Q1 split 60/40 between its owner and a colleague of the same territory."""
    mm = {r["rep_id"]: r for r in roster if r["plan"] == "ae-mm" and r["rep_id"] not in FEATURED | {TERMINATED}}
    candidates = [d for d in deals if d["owner"] in mm and d["stage"] == "Closed Won"
                  and d["type"] == "New Business" and in_2026(d) and d["close"].month > 3
                  and d["amount"] >= 40000]
    deal = people_rng.choice(candidates)
    owner = mm[deal["owner"]]
    partner = people_rng.choice(sorted(r for r in mm if r != owner["rep_id"]
                                       and mm[r]["territory"] == owner["territory"]))
    return [(deal["id"], owner["rep_id"], "60%", "split"), (deal["id"], partner, "40%", "split")]


def overlay_credits(se, deals):
    """The solutions engineer on a handful of North American enterprise deals of 2026, 100% on top."""
    candidates = [d for d in deals if d["territory"] != "EMEA" and d["stage"] == "Closed Won"
                  and d["type"] in ("New Business", "Upsell") and d["segment"] == "Enterprise"
                  and in_2026(d) and d["currency"] == "USD" and d["amount"] >= 100000]
    chosen = sorted(people_rng.sample(candidates, SE_DEALS), key=lambda d: d["id"])
    return [(d["id"], se["rep_id"], "100%", "overlay") for d in chosen]


def build_people_changes(roster, deals, accounts, first_id):
    """The new reps, their quotas and deals, the credits and the assignments."""
    people = build_people(first_id)
    se = next(p for p in people if p["plan"] == "se")
    hire = next(p for p in people if p["plan"] == "ae-mm")
    by_id = {r["rep_id"]: r for r in roster}
    credits = split_credits(roster, deals) + overlay_credits(se, deals)
    hire_deals, hire_quotas = new_mm_seller(hire, hire["start_date"], [3, 4], accounts, (0.6, 1.4, 0.95))
    promoted = by_id[PROMOTED]
    promo_deals, promo_quotas = new_mm_seller(promoted, PROMOTED_ON, [2, 3, 4], accounts, (0.5, 1.4, 0.9))
    new_deals = hire_deals + promo_deals
    new_deals.sort(key=lambda d: (d["created"], d["owner"], d["close"], d["amount"]))
    for i, d in enumerate(new_deals):
        d["id"] = f"OPP-{10001 + len(deals) + i}"
    assignments = [
        (PROMOTED, "sdr", promoted["start_date"].isoformat(),
         (PROMOTED_ON - dt.timedelta(days=1)).isoformat(), promoted["target_incentive"]),
        (PROMOTED, "ae-mm", PROMOTED_ON.isoformat(), "", PROMOTED_TI),
    ]
    quotas = sorted(hire_quotas + promo_quotas, key=lambda q: (q["rep_id"], q["period"], q["measure"]))
    return people, new_deals, quotas, credits, assignments


# --------------------------------------------------------------------------------------------------
pipe_rng = random.Random(2077)
OPEN_STAGES = ["Proposal", "Negotiation"]
SNAPSHOT_DATES = [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]


def build_open_pipeline(roster, accounts, first_id):
    """Open opportunities of the ae-mm, ae-ent and am sellers (no plan measures an open stage)."""
    deals = []
    for rep in roster:
        if rep["plan"] not in ("ae-mm", "ae-ent", "am") or rep["start_date"] > dt.date(2026, 1, 1):
            continue
        for _ in range(pipe_rng.randint(2, 3)):
            close = dt.date(2026, 3, 9) + dt.timedelta(days=pipe_rng.randint(0, 113))
            usd = pipe_rng.triangular(*deal_range(rep["plan"], "New Business"))
            typ = "Renewal" if rep["plan"] == "am" else pipe_rng.choice(["New Business", "Upsell"])
            product = pipe_rng.choice(PRODUCTS)
            amount = nice(usd)
            pool = accounts.owned.get(rep["rep_id"]) or [f"ACC-{39000 + len(deals)}"]
            deals.append(dict(
                id=f"OPP-{first_id + len(deals)}", owner=rep["rep_id"], account=pipe_rng.choice(pool),
                amount=amount, currency="USD", close=close, stage=pipe_rng.choice(OPEN_STAGES), type=typ,
                product=product, segment="Enterprise" if rep["plan"] == "ae-ent" else "Mid-Market",
                quantity=max(1, round(float(amount) / 900)),
                margin=(amount * Decimal("0.78")).quantize(CENT, rounding=ROUND_HALF_UP),
                territory=rep["territory"], created=close - dt.timedelta(days=pipe_rng.randint(40, 120))))
    return deals


def build_snapshots(deals):
    """For each snapshot date, the opportunities open on it, with the stage and expected close date of then."""
    slips = {}
    for d in deals:
        # A third of the opportunities were expected earlier than they close: by 2 to 6 weeks at first,
        # by half as much a month later (they slipped twice), on time after that.
        slips[d["id"]] = pipe_rng.randint(14, 42) if pipe_rng.random() < 0.33 else 0
    snapshots = {}
    for k, day in enumerate(SNAPSHOT_DATES):
        rows = []
        for d in deals:
            if not (d["created"] <= day < d["close"]):
                continue
            slip = slips[d["id"]] >> k
            expected = max(day + dt.timedelta(days=7), d["close"] - dt.timedelta(days=slip))
            stage = d["stage"] if d["stage"] in OPEN_STAGES + ["Qualified"] else pipe_rng.choice(OPEN_STAGES)
            rows.append(dict(d, close=expected, stage=stage))
        snapshots[day] = rows
    return snapshots


def build_leads(roster):
    """Inbound leads of 2026-01..2026-04 for the SDRs and the mid-market AEs."""
    owners = [r["rep_id"] for r in roster if r["plan"] in ("sdr", "ae-mm") and r["start_date"] <= dt.date(2026, 1, 1)]
    leads = []
    for n in range(160):
        day = dt.date(2026, 1, 2) + dt.timedelta(days=pipe_rng.randint(0, 118))
        if day.weekday() >= 5:
            day += dt.timedelta(days=7 - day.weekday())
        created = dt.datetime.combine(day, dt.time(pipe_rng.randint(8, 17), pipe_rng.choice([0, 15, 30, 45])))
        if pipe_rng.random() < 0.08:
            response = ""
        else:
            minutes = int(pipe_rng.lognormvariate(5.0, 1.1))
            response = (created + dt.timedelta(minutes=max(5, minutes))).strftime("%Y-%m-%d %H:%M")
        leads.append([f"L-{5001 + n}", pipe_rng.choice(owners), created.strftime("%Y-%m-%d %H:%M"), response,
                      pipe_rng.choice(["web", "webinar", "event", "partner"])])
    leads.sort(key=lambda l: l[2])
    return leads


# --------------------------------------------------------------------------------------------------
def write(name, header, rows):
    with open(HERE / name, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_deals(name, deals):
    write(name,
          ["Opportunity ID", "Opportunity Owner", "Account ID", "Amount", "Currency", "Close Date", "Stage",
           "Type", "Product", "Segment", "Quantity", "Gross Margin", "Territory", "Created Date"],
          [[d["id"], d["owner"], d["account"], f"{d['amount']:,.2f}", d["currency"], d["close"].strftime("%m/%d/%Y"),
            d["stage"], d["type"], d["product"], d["segment"], d["quantity"], f"{d['margin']:,.2f}", d["territory"],
            d["created"].strftime("%m/%d/%Y")]
           for d in deals])


def main():
    roster = build_roster()
    rates = build_fx()
    accounts = Accounts()
    deals, quotas = build_deals(roster, rates, accounts)
    quotas = manager_quotas(roster, deals, rates) + quotas
    # the additions (appended after the original rows)
    sdrs = build_sdrs(len(roster) + 1)
    sdr_deals, meetings = build_sdr_deals(sdrs, accounts, 10001 + len(deals))
    extra_quotas = new_logo_quotas(roster) + meetings
    roster += sdrs
    deals += sdr_deals
    quotas.sort(key=lambda q: (q["rep_id"], q["period"]))
    extra_quotas.sort(key=lambda q: (q["rep_id"], q["period"]))
    quotas += extra_quotas
    # crediting and people changes (appended after those)
    people, new_deals, new_quotas, credits, assignments = build_people_changes(roster, deals, accounts,
                                                                               len(roster) + 1)
    roster += people
    deals += new_deals
    quotas += new_quotas
    # open pipeline for the insights (appended after those)
    deals += build_open_pipeline(roster, accounts, 10001 + len(deals))
    end_date = {TERMINATED: TERMINATED_ON}

    write("reps.csv",
          ["rep_id", "name", "plan", "email", "manager_id", "team", "territory", "start_date", "end_date",
           "target_incentive", "currency"],
          [[r["rep_id"], r["name"], r["plan"], r["email"], r["manager_id"], r["team"], r["territory"],
            r["start_date"].isoformat(), end_date[r["rep_id"]].isoformat() if r["rep_id"] in end_date else "",
            r["target_incentive"], r["currency"]] for r in roster])
    # Created Date was added to the report later (for the SDR plan, which credits an opportunity when it
    # is created); payout.toml maps it to the canonical created_date.
    write_deals("deals.csv", deals)
    for day, rows in build_snapshots(deals).items():
        write_deals(f"pipeline-{day.isoformat()}.csv", rows)
    write("leads.csv", ["lead_id", "rep_id", "created", "first_response", "source"], build_leads(roster))
    write("quotas.csv", ["rep_id", "period", "measure", "amount"],
          [[q["rep_id"], q["period"], q["measure"], q["amount"]] for q in quotas])
    write("fx.csv", ["currency", "date", "rate"],
          [["EUR", day.isoformat(), f"{rate:.4f}"] for day, rate in rates.items()])
    write("credits.csv", ["deal_id", "rep_id", "share", "kind"], credits)
    write("assignments.csv", ["rep_id", "plan", "from", "to", "target_incentive"], assignments)
    print(f"wrote {len(roster)} reps, {len(deals)} deals, {len(quotas)} quotas, {len(rates)} fx rates, "
          f"{len(credits)} credits, {len(assignments)} assignments to {HERE}")


if __name__ == "__main__":
    main()
