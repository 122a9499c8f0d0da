"""Exact event traces of one household, written out by hand (SimPy's style).

Everything random is switched off: fixed service times, no rework, no barriers, no
latency, no exits, no renewal of demand (the one household decides on the first day). Service times: RT 1 day (open weekends), Lurah, Camat, Dinas Sosial
and Dinas Kesehatan 0.5 working days, BPJS 0.25; BPJS activates on the 1st of the next
month for registrations by the 20th.
"""

from __future__ import annotations

from sim.model import JambiBugarModel
from sim.scenario import Scenario

BARRIERS = ("specialization", "power", "performance_management", "turf", "beliefs", "politics",
            "accountability")


def one_household(mode: str, start: str, **coordination: object) -> Scenario:
    return Scenario.from_dict({
        "name": "one household",
        "time": {"start": start, "end": "2021-06-30", "pathway_mode": mode},
        "population": {"uninsured_people_start": 1, "eligible_share": 1.0, "household_size": 1.0,
                       "ineligible_applicant_share": 0.0, "share_homeless_neglected": 0.0,
                       "share_mental_disorder": 0.0, "lapas_residents": 0, "panti_jompo": 0,
                       "panti_asuhan": 0, "arrivals_per_year": 0.0, "valid_docs_share": 1.0,
                       "in_dtks_share": 1.0, "n_rt": 1, "n_kelurahan": 1, "n_kelurahan_new": 0,
                       "n_kecamatan": 1},
        "awareness": {"initial": 1.0, "background_per_year": 0.0, "campaign_dates": []},
        "behaviour": {"apply_prob_manual": 1.0, "apply_prob_online": 1.0,
                      "apply_delay_days": 0.0, "travel_gap_days": 0.0,
                      "burden_per_wait_day": 0.0, "burden_per_visit": 0.0,
                      "burden_per_100k_idr": 0.0},
        "offices": {s: {"service_cv": 0.0, "rework_prob": 0.0}
                    for s in ("rt", "lurah", "camat", "dinsos", "dinkes", "bpjs")},
        "batches": {"dtks_mismatch_prob": 0.0},
        "exits": {"death_per_year": 0.0, "move_per_year": 0.0, "income_rise_per_year": 0.0,
                  "central_pbi_dates": [], "central_pbi_share": [], "reverification_dates": []},
        "barriers": dict.fromkeys(BARRIERS, 0.0),
        # the household decides on the first day; nothing else brings anyone in
        "demand": {"initial_state": "deciding", "illness_per_year": 0.0, "website_reach": 0.0,
                   "rt_recruit_per_year": 0.0, "pbi_drop_dates": [], "pbi_drop_people": []},
        "coordination": {"handoff_days_online": 0.0, "handoff_days_paper": 0.0,
                         "hierarchy": {"enabled": False}, "network": {"enabled": False},
                         **coordination},
    })


def trace_of(scenario: Scenario) -> tuple[JambiBugarModel, list[tuple]]:
    model = JambiBugarModel(scenario, seed=1, trace=True)
    while model.running:
        model.step()
    return model, model.trace


def test_online_trace_monday_start() -> None:
    """2021-03-01 is a Monday; the case reaches BPJS on Wednesday, card on 1 April."""
    model, trace = trace_of(one_household("online", "2021-03-01"))
    assert trace == [
        (0.0, "apply", 1, "rt", "online"),
        (0.0, "arrive", 1, "rt", ""),
        (1.0, "approve", 1, "rt", ""),
        (1.0, "handoff", 1, "lurah", "rt->lurah"),
        (1.0, "arrive", 1, "lurah", ""),
        (1.5, "approve", 1, "lurah", ""),
        (1.5, "handoff", 1, "dinsos", "lurah->dinsos"),
        (1.5, "arrive", 1, "dinsos", ""),
        (2.0, "approve", 1, "dinsos", ""),
        (2.0, "handoff", 1, "dinkes", "dinsos->dinkes"),
        (2.0, "arrive", 1, "dinkes", ""),
        (2.5, "approve", 1, "dinkes", ""),
        (2.5, "handoff", 1, "bpjs", "dinkes->bpjs"),
        (2.5, "arrive", 1, "bpjs", ""),
        (2.75, "approve", 1, "bpjs", ""),
        (31.0, "enrolled", 1, "bpjs", "card"),  # 2021-04-01, the next monthly activation
    ]
    case = model.flow.cases[0]
    assert (case.visits, case.cost) == (1, 0.0)  # online: one walk to the RT head
    assert model.active_members == 1


def test_manual_trace_crosses_a_weekend() -> None:
    """Friday 2021-03-05: the RT head works Saturday, the Lurah office opens Monday."""
    model, trace = trace_of(one_household("manual", "2021-03-05"))
    assert trace == [
        (0.0, "apply", 1, "rt", "manual"),
        (0.0, "arrive", 1, "rt", ""),
        (1.0, "approve", 1, "rt", ""),
        (1.0, "handoff", 1, "lurah", "rt->lurah"),
        (1.0, "arrive", 1, "lurah", ""),  # Saturday: waits for Monday
        (3.5, "approve", 1, "lurah", ""),  # Monday noon
        (3.5, "handoff", 1, "camat", "lurah->camat"),
        (3.5, "arrive", 1, "camat", ""),
        (4.0, "approve", 1, "camat", ""),  # end of Monday
        (4.0, "handoff", 1, "dinsos", "camat->dinsos"),
        (4.0, "arrive", 1, "dinsos", ""),
        (4.5, "approve", 1, "dinsos", ""),
        (4.5, "handoff", 1, "dinkes", "dinsos->dinkes"),
        (4.5, "arrive", 1, "dinkes", ""),
        (5.0, "approve", 1, "dinkes", ""),
        (5.0, "handoff", 1, "bpjs", "dinkes->bpjs"),
        (5.0, "arrive", 1, "bpjs", ""),
        (5.25, "approve", 1, "bpjs", ""),
        (27.0, "enrolled", 1, "bpjs", "card"),  # 2021-04-01
    ]
    case = model.flow.cases[0]
    assert case.visits == 5  # RT, Lurah, Camat, Dinas Sosial, Dinas Kesehatan in person
    assert case.cost > 0


def test_tim_approval_layer_in_trace() -> None:
    """With the Tim Koordinasi on, the BPJS submission waits for its next sitting (day 14)."""
    _, trace = trace_of(one_household("online", "2021-03-01",
                                      hierarchy={"enabled": True, "approval_sittings": True,
                                                 "approval_interval_days": 14}))
    tail = [e for e in trace if e[0] >= 2.5]
    assert tail == [
        (2.5, "approve", 1, "dinkes", ""),
        (2.5, "handoff", 1, "bpjs", "dinkes->bpjs"),
        (14.0, "arrive", 1, "bpjs", ""),  # 2021-03-15, the Tim's sitting
        (14.25, "approve", 1, "bpjs", ""),
        (31.0, "enrolled", 1, "bpjs", "card"),
    ]
