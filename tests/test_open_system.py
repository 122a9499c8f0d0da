"""The open system (issue 20): demand that renews, households that come back, the front
door, two-way flows with central PBI-JK, dated policy levers, and the accounting.

Each test switches one mechanism on and off on the small scenario and checks what only
that mechanism can do."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from conftest import small

from sim.model import JambiBugarModel
from sim.model.accounting import ACCOUNTS

# nothing brings anyone in but what a test switches on
QUIET = dict(awareness={"initial": 0.0, "background_per_year": 0.0, "campaign_reach": 0.0},
             population={"lapas_residents": 0, "panti_asuhan": 0, "panti_jompo": 0,
                         "arrivals_per_year": 0.0},
             demand={"illness_per_year": 0.0, "website_reach": 0.0, "rt_recruit_per_year": 0.0,
                     "pbi_drop_eligible_share": 0.0})


def finish(sc, seed: int = 1, audit_every: int = 60) -> JambiBugarModel:
    m = JambiBugarModel(sc, seed=seed)
    while m.running:
        m.step()
        if m.day % audit_every == 0:
            assert not m.audit(), m.audit()
    assert not m.audit(), m.audit()
    return m


def merged(**sections):
    out = {k: dict(v) for k, v in QUIET.items()}
    for k, v in sections.items():
        out.setdefault(k, {}).update(v)
    return small(**out)


def test_the_accounting_adds_up_at_every_month_end() -> None:
    m = finish(small(exits={"reverification_share": 0.2}, program={"target": 1500}))
    assert len(m.monthly) == 24
    for row in m.monthly:
        parts = sum(row[f"acct_{k}"] for k in ACCOUNTS)
        assert parts == row["ever_eligible"], row["date"]
        assert row["acct_active"] <= row["enrolled"]
    last = m.monthly[-1]
    # a tight cap and re-verification put people in every account that can fill here
    for k in ("active", "waiting_slot", "abandoned", "rejected", "moved_away", "died"):
        assert last[f"acct_{k}"] > 0, k


def test_illness_brings_in_households_nobody_told() -> None:
    off = finish(merged())
    on = finish(merged(demand={"illness_per_year": 0.5, "illness_apply_prob": 0.8}))
    assert len(off.flow.record) == 0
    assert len(on.flow.record) > 50 and on.quota.active > 0


def test_the_website_and_rt_heads_raise_awareness_from_the_launch() -> None:
    sc = merged(awareness={"initial": 0.0}, demand={"website_reach": 0.5},
                behaviour={"apply_prob_online": 1.0})
    m = finish(sc)
    t_online = m.flow.t_online
    applied = [c.t_applied for c in m.flow.cases]
    assert applied and min(applied) >= t_online  # nobody before the website opened
    rt = finish(merged(demand={"rt_recruit_per_year": 2.0}, behaviour={"apply_prob_online": 1.0}))
    assert len(rt.flow.record) > 100 and min(c.t_applied for c in rt.flow.cases) >= t_online


def test_awareness_on_the_first_day_is_a_state_not_a_spike() -> None:
    deciding = finish(small(demand={"initial_state": "deciding"}))
    settled = finish(small())
    first = [sum(c.t_applied < 90 for c in m.flow.cases) for m in (deciding, settled)]
    assert first[0] > 2 * first[1]


def test_a_wrongly_rejected_household_tries_again_and_again_with_memory() -> None:
    rejecting = dict(batches={"dtks_mismatch_prob": 0.6}, awareness={"initial": 0.6},
                     program={"target": 100000})
    again = finish(merged(reentry={"reapply_per_year": 6.0, "memory": 1.0}, **rejecting))
    once = finish(merged(reentry={"reapply_per_year": 6.0, "memory": 0.0}, **rejecting))
    cases_again = Counter(c.household.idx for c in again.flow.cases)
    cases_once = Counter(c.household.idx for c in once.flow.cases)
    assert max(h.setbacks for h in again.households) >= 3
    assert max(cases_again.values()) >= 4  # repeated decisions, not a single chance
    # memory 0: one try after the first setback, none after the second
    wrongful = ("dtks_mismatch", "divergent_judgement")
    twice = 0
    for idx in cases_once:
        mine = sorted((c for c in once.flow.cases if c.household.idx == idx),
                      key=lambda c: c.t_applied)
        ends = [i for i, c in enumerate(mine) if c.outcome == "rejected" and c.reason in wrongful]
        if len(ends) >= 2:
            twice += 1
            assert ends[1] == len(mine) - 1, idx  # nothing after the second
    assert twice > 0
    assert sum(cases_again.values()) > sum(cases_once.values())


def test_a_deactivated_member_is_reactivated_through_dinas_sosial() -> None:
    sc = dict(exits={"reverification_share": 0.5, "reverification_wrongful": 1.0},
              program={"initial_members": 1000, "target": 100000})
    yes = finish(merged(reentry={"reactivation_prob": 1.0, "reactivation_days": 30.0}, **sc))
    no = finish(merged(reentry={"reactivation_prob": 0.0, "reapply_per_year": 0.0}, **sc))
    routes = Counter(c.route for c in yes.flow.cases)
    assert routes["reactivation"] > 20
    steps = {c.steps for c in yes.flow.cases if c.route == "reactivation"}
    assert steps == {("dinsos", "quota", "bpjs", "activation")}
    assert any(c.outcome == "enrolled" for c in yes.flow.cases if c.route == "reactivation")
    assert len(no.flow.record) == 0 and no.monthly[-1]["acct_deactivated"] > 0
    assert yes.monthly[-1]["acct_deactivated"] < no.monthly[-1]["acct_deactivated"]


def test_people_dropped_from_central_pbi_jk_enter_the_pool() -> None:
    drop = dict(pbi_drop_dates=[dt.date(2019, 1, 1)], pbi_drop_people=[2000])
    m = finish(merged(demand={**drop, "pbi_drop_eligible_share": 0.5}))
    none = finish(merged(demand={**drop, "pbi_drop_eligible_share": 0.0}))
    assert 1000 <= m.population.from_pbi_jk < 1000 + 15  # whole households
    assert none.population.from_pbi_jk == 0 and len(none.flow.record) == 0
    t = m.clock.t(dt.date(2019, 1, 1))
    assert len(m.flow.record) > 0 and min(c.t_applied for c in m.flow.cases) >= t
    assert m.monthly[-1]["from_pbi_jk"] == m.population.from_pbi_jk


def test_members_moved_to_central_pbi_jk_stay_covered_outside_the_stock() -> None:
    moved = finish(small(exits={"central_pbi_dates": [dt.date(2019, 1, 1)],
                                "central_pbi_share": [0.3]}))
    none = finish(small(exits={"central_pbi_dates": [], "central_pbi_share": []}))
    before = [r for r in moved.monthly if r["date"] < "2019-01-01"][-1]
    after = [r for r in moved.monthly if r["date"] >= "2019-01-01"][0]
    assert before["acct_moved_to_pbi_jk"] == 0 < after["acct_moved_to_pbi_jk"]
    assert none.monthly[-1]["acct_moved_to_pbi_jk"] == 0


def test_a_full_quota_turns_applicants_away_at_the_front_door() -> None:
    tight = dict(program={"target": 0})
    door = finish(small(**tight))
    open_door = finish(small(rationing={"front_door": False}, **tight))
    assert door.population.turned_away > 100
    citizen = [c for c in door.flow.cases if c.route in ("manual", "online", "referral")]
    assert citizen == []  # nobody got past the RT head
    assert open_door.population.turned_away == 0
    assert len(open_door.quota.waiting) > 100  # they queue at the quota instead
    came_back = finish(small(rationing={"retry_prob": 1.0}, **tight))
    gave_up = finish(small(rationing={"retry_prob": 0.0}, **tight))
    assert came_back.monthly[-1]["acct_waiting_slot"] > 0
    assert gave_up.monthly[-1]["acct_waiting_slot"] == 0
    assert gave_up.monthly[-1]["acct_abandoned"] > came_back.monthly[-1]["acct_abandoned"]


def test_a_dated_change_of_the_target_lets_the_stock_grow() -> None:
    low = dict(program={"target": 800})
    fixed = finish(small(**low))
    raised = finish(small(policy={"target_from": {"2019-01-01": 3000}}, **low))
    at_2018_end = [r for r in raised.monthly if r["date"] == "2018-12-31"][0]
    assert at_2018_end["enrolled"] <= 800 and at_2018_end["quota_cap"] == 800
    assert raised.monthly[-1]["quota_cap"] == 3000
    assert raised.quota.active > fixed.quota.active + 200


def test_a_dated_drop_of_the_cap_leaves_only_the_budget() -> None:
    """``policy.cap_until``: from that date the target caps nothing, the budget alone does."""
    low = dict(program={"target": 800})
    capped = finish(small(**low))
    dropped = finish(small(policy={"cap_until": "2019-01-01"}, **low))
    at_2018_end = [r for r in dropped.monthly if r["date"] == "2018-12-31"][0]
    assert at_2018_end["enrolled"] <= 800 and at_2018_end["quota_cap"] == 800
    assert dropped.monthly[-1]["quota_cap"] > 800 == capped.monthly[-1]["quota_cap"]
    assert dropped.monthly[-1]["quota_cap"] == dropped.program.caps[2019]  # the budget's
    assert dropped.quota.active > capped.quota.active + 200
    # the same run as the capped one until the date
    before = [r["enrolled"] for r in dropped.monthly if r["date"] < "2019-01-01"]
    assert before == [r["enrolled"] for r in capped.monthly if r["date"] < "2019-01-01"]


def test_a_dated_rise_of_the_inflow_brings_more_newly_eligible_households() -> None:
    """``demand.inflow_factor_from`` (the 2020-21 impoverishment): arrivals of newly
    eligible households at a multiple of the base rate from the date, not before."""
    base = dict(population={"arrivals_per_year": 600.0})
    flat = finish(merged(**base))
    risen = finish(merged(demand={"inflow_factor_from": {"2019-01-01": 3.0}}, **base))
    rows = {r["date"]: r for r in risen.monthly}
    flat_rows = {r["date"]: r for r in flat.monthly}
    assert rows["2018-12-31"]["ever_eligible"] == flat_rows["2018-12-31"]["ever_eligible"]
    came_flat = flat_rows["2019-12-31"]["ever_eligible"] - flat_rows["2018-12-31"]["ever_eligible"]
    came = rows["2019-12-31"]["ever_eligible"] - rows["2018-12-31"]["ever_eligible"]
    assert came > 2 * came_flat > 0


def test_the_dinsos_bpjs_pair_acts_on_its_own_hand_off() -> None:
    """With relations on, a reactivation's hand-off from Dinas Sosial to BPJS reads the
    pair's state (how hard the barriers bite on it) and moves it."""
    from sim.model.relations import Relations

    seen: dict[str, list] = {"factor": [], "handed_off": []}
    factor, handed_off = Relations.factor, Relations.handed_off

    def spy_factor(self, src, dst):
        seen["factor"].append((src, dst))
        return factor(self, src, dst)

    def spy_handed_off(self, src, dst, bounced):
        seen["handed_off"].append((src, dst, self.state["dinsos_bpjs"]))
        return handed_off(self, src, dst, bounced)

    sc = merged(exits={"reverification_share": 0.5, "reverification_wrongful": 1.0},
                program={"initial_members": 1000, "target": 100000},
                reentry={"reactivation_prob": 1.0, "reactivation_days": 30.0},
                relations={"enabled": True})
    Relations.factor, Relations.handed_off = spy_factor, spy_handed_off
    try:
        m = finish(sc)
    finally:
        Relations.factor, Relations.handed_off = factor, handed_off
    assert any(c.route == "reactivation" for c in m.flow.cases)
    assert ("dinsos", "bpjs") in seen["factor"]
    crossings = [s for src, dst, s in seen["handed_off"] if (src, dst) == ("dinsos", "bpjs")]
    assert crossings and len(set(crossings)) > 1  # the pair's state moved between them


@pytest.mark.parametrize("checked", [True, False])
def test_a_registration_drive_opens_cases_in_bulk(checked: bool) -> None:
    drive = dict(drive_dates=[dt.date(2019, 3, 1)], drive_share=0.5, drive_checked=checked)
    m = finish(small(policy=drive))
    none = finish(small())
    t = m.clock.t(dt.date(2019, 3, 1))
    on_the_day = [c for c in m.flow.cases if c.t_applied == t]
    assert m.renewal.registered == len(on_the_day) > 50
    route = "referral" if checked else "drive"
    assert {c.route for c in on_the_day} == {route}
    if not checked:  # straight to the quota and BPJS: no office before them
        assert {c.steps for c in on_the_day} == {("quota", "bpjs", "activation")}
    assert m.quota.active > none.quota.active


def test_the_two_teams_are_two_agents_with_their_own_work() -> None:
    """The 2018 Tim Koordinasi JKN Daerah holds review meetings; the 2021 tim terpadu
    behind the website launches it (socialisation, RT recruitment) and meets never."""
    m = JambiBugarModel(small(), seed=1)
    koord, terpadu = m.tim, m.tim_terpadu
    assert koord is not terpadu and {koord, terpadu} <= set(m.agents)
    assert koord.name != terpadu.name and koord.meetings
    assert terpadu in m.components and koord in m.components
    # the launch is the tim terpadu's act: socialisation reaches the unaware at once
    quiet = JambiBugarModel(merged(awareness={"initial": 0.0}, demand={"website_reach": 1.0}),
                            seed=1)
    assert quiet.population.aware_people == 0
    quiet.tim_terpadu.launch(0.0)
    assert quiet.population.aware_people == quiet.population.eligible_people > 0


def test_a_removed_key_names_what_replaced_it(tmp_path) -> None:
    from sim.scenario import Scenario, ScenarioError

    f = tmp_path / "old.toml"
    f.write_text('name = "old"\n[behaviour]\nreapply_prob = 0.3\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="reentry.reapply_per_year"):
        Scenario.from_toml(f)


def test_a_website_that_opened_before_the_start_launches_on_the_first_day() -> None:
    m = finish(small(time={"online_from": dt.date(2017, 6, 1)}))
    assert m.flow.t_online < 0 and len(m.flow.record) > 0
    assert min(c.t_applied for c in m.flow.cases) >= 0.0
