"""Coordination that evolves: working trust between each pair of agencies.

Each pair of agencies (Dinas Sosial-Dinas Kesehatan, Dinas Kesehatan-BPJS, Dinas
Sosial-BPJS) holds a state ``s`` in [0, 1]: working trust, or relational capital. The
agencies' own experience moves it, and it sets how strongly Peters' barriers bite on
that pair's hand-offs. With ``relations.enabled = false`` (the default) nothing here
runs and the model is the fixed-dial model of :mod:`sim.model.coordination`: the historical
baseline stays comparable with its calibration and golden summary.

How the state acts (sensing and interaction):

- **Bite.** On a hand-off between the pair, the barrier chances of specialization
  (bounce), power (sign-off wait), performance management (report hold),
  accountability (verification round) and beliefs (downstream rejection) are scaled by
  ``(1 - k s) / (1 - k s0)``, with ``k = relations.bite_k`` and ``s0 =
  relations.initial_state``. At ``s = s0`` the barriers bite exactly at their scenario
  levels, so a scenario's levels keep their meaning; more trust blunts them, less
  sharpens them. (Politics and turf act on the calendar and on desks, not on a pair: they
  are unchanged.) Lurah and Camat hand-offs into Dinas Sosial belong to no pair.

What moves the state (learning). Gains are a share of ``1 - s`` and losses a share of
``s``, so ``s`` stays in [0, 1]:

1. *Joint work without conflict* -- each case handed off between the pair without a
   bounce adds ``gain_per_handoff``. Source: coordination is easier at the
   implementation level, where real clients are involved (wider Peters literature;
   docs/sources.md#coordination-theory).
2. *Bounces* -- each case bounced between the pair removes ``loss_per_bounce``
   (Peters' specialization).
3. *Blame* -- a case the downstream agency rejects after the upstream agency approved it
   (beliefs), or that a citizen abandons at the downstream agency, removes
   ``loss_per_blame`` from that pair (Peters' accountability: agencies wary of shared
   action). A rejection by BPJS also costs the Dinas Sosial-BPJS pair (its data).
4. *Hierarchy* -- each Tim Koordinasi review meeting adds ``review_gain x
   hierarchy.strength`` to every pair (the seed: the Tim holds "pertemuan review dan
   evaluasi secara berkala"). No meetings after ``tim_meetings_until``.
5. *Network* -- each month adds ``tie_gain_per_month x ties``, where ``ties`` starts at
   the network strength and is broken by staff rotation; broken ties regrow by
   ``ties_regrow_per_month`` of the gap each month (Peters' networks: formal and informal
   ties, bottom-up).
6. *Collaboration* -- each month adds ``collab_gain_per_month x collaboration.strength``
   while the shared website is kept up (until ``website_upkeep_until``): shared data and
   joint verification (Peters' collaboration).
7. *Fading* -- each month removes ``decay_per_month``: a relationship not used fades
   (assumption).
8. *Political transitions* -- on each date in ``transitions`` (the seed: a Pj Walikota
   was in office by March 2024; the handover date is an assumption) and at the end of the
   RPJMD 2018-2023 (``rpjmd_end``), every pair loses ``transition_loss`` (Peters' politics:
   different political masters).
9. *Staff rotation* -- on each date in ``rotations`` the named agency's pairs lose
   ``rotation_loss`` of their state and of their informal ties (rotation breaks ties).

How agencies adapt (adaptation):

10. *Performance management* -- at each month end an agency senses its own backlog:
    pressure = min(1, queue / (staff x pressure_queue_per_staff)). A pressed agency shifts
    effort to its own metrics: its joint-work gains (rule 1) are cut by
    ``pressure_effect x pressure``, and it holds its outgoing hand-offs for the weekly
    report ``1 + pressure_effect x pressure`` times as often (Peters' performance
    management: individual targets crowd out collective goals).
11. *Power* -- the dominant agency (``relations.dominant``) sets the pace of joint steps:
    every gain on its pairs is cut by ``pace_drag x barriers.power`` (Peters' power: a
    dominant department steers decisions).

The state is deterministic given the cases' histories: it draws no random numbers, so
common random numbers (``tests/test_crn.py``) hold.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

from sim.engine.events import LATE, EventQueue
from sim.engine.worktime import Clock
from sim.model.component import Component
from sim.model.coordination import AGENCIES, UPSTREAM
from sim.scenario import Scenario
from sim.scenario.schema import PAIRS

PAIR_OF = {(a, b): f"{a}_{b}" for a, b in (p.split("_") for p in PAIRS)}
PAIR_OF.update({(b, a): name for (a, b), name in list(PAIR_OF.items())})


class Relations:
    """Working trust between each pair of agencies, and the rules that move it."""

    def __init__(self, scenario: Scenario, clock: Clock):
        r, c = scenario.relations, scenario.coordination
        self.r = r
        self.clock = clock
        self.enabled = r.enabled
        self.state = dict.fromkeys(PAIRS, r.initial_state)
        self.tie_level = c.network.strength if c.network.enabled else 0.0
        self.ties = dict.fromkeys(PAIRS, self.tie_level)
        self.collab = c.collaboration.strength if c.collaboration.enabled else 0.0
        self.hier = c.hierarchy.strength if c.hierarchy.enabled else 0.0
        self.pressure = dict.fromkeys(AGENCIES, 0.0)
        self.pace = {p: 1.0 - (r.pace_drag * scenario.barriers.power
                               if r.dominant in p.split("_") else 0.0) for p in PAIRS}
        self._bite0 = 1.0 - r.bite_k * r.initial_state
        self.t_tim_end = clock.t(r.tim_meetings_until) if r.tim_meetings_until else math.inf
        self.t_web_end = clock.t(r.website_upkeep_until) if r.website_upkeep_until \
            else math.inf
        self.reviews = 0

    # ------------------------------------------------------------------ bite
    def factor(self, src: str, dst: str) -> float:
        """How strongly the barriers bite on a hand-off from src to dst (1 = as set)."""
        pair = PAIR_OF.get((src, dst))
        if pair is None:
            return 1.0
        return (1.0 - self.r.bite_k * self.state[pair]) / self._bite0

    def hold_factor(self, src: str) -> float:
        """A pressed agency holds hand-offs for its weekly report more often (rule 10)."""
        return 1.0 + self.r.pressure_effect * self.pressure.get(src, 0.0)

    # ------------------------------------------------------------ experience
    def _gain(self, pair: str, amount: float) -> None:
        s = self.state[pair]
        self.state[pair] = s + max(0.0, amount * self.pace[pair]) * (1.0 - s)

    def _lose(self, pair: str, share: float) -> None:
        self.state[pair] *= 1.0 - min(1.0, share)

    def handed_off(self, src: str, dst: str, bounced: bool) -> None:
        """Rules 1, 2 and 10: a case crossed (or bounced on) the pair's boundary."""
        pair = PAIR_OF.get((src, dst))
        if pair is None:
            return
        if bounced:
            self._lose(pair, self.r.loss_per_bounce)
        else:
            effort = 1.0 - self.r.pressure_effect * self.pressure[src]
            self._gain(pair, self.r.gain_per_handoff * effort)

    def blamed(self, stage: str, upstream: str | None = None) -> None:
        """Rule 3: the downstream agency ``stage`` rejected or lost a case upstream sent."""
        up = upstream or UPSTREAM.get(stage)
        pair = PAIR_OF.get((up, stage)) if up else None
        if pair is None:
            return
        self._lose(pair, self.r.loss_per_blame)
        if stage == "bpjs" and pair != "dinsos_bpjs":
            self._lose("dinsos_bpjs", self.r.loss_per_blame)

    def review(self, t: float) -> None:
        """Rule 4: a Tim Koordinasi review meeting (before ``tim_meetings_until``)."""
        if t >= self.t_tim_end:
            return
        self.reviews += 1
        for pair in PAIRS:
            self._gain(pair, self.r.review_gain * self.hier)

    def month(self, t: float, backlog: dict[str, tuple[int, int]]) -> None:
        """Rules 5-7 and the sensing of rule 10, at a month end. ``backlog`` maps each
        agency to (cases in its queue, its staff)."""
        r = self.r
        for agency, (queue, staff) in backlog.items():
            self.pressure[agency] = min(1.0, queue / max(1, staff) / r.pressure_queue_per_staff)
        collab = self.collab if t < self.t_web_end else 0.0
        for pair in PAIRS:
            self.ties[pair] += r.ties_regrow_per_month * (self.tie_level - self.ties[pair])
            self._gain(pair, r.tie_gain_per_month * self.ties[pair]
                       + r.collab_gain_per_month * collab)
            self._lose(pair, r.decay_per_month)

    def transition(self, t: float) -> None:
        """Rule 8: a political transition (or the end of the RPJMD)."""
        for pair in PAIRS:
            self._lose(pair, self.r.transition_loss)

    def rotation(self, t: float, agency: str) -> None:
        """Rule 9: an agency's key staff rotate out; its informal ties break."""
        for pair in PAIRS:
            if agency in pair.split("_"):
                self._lose(pair, self.r.rotation_loss)
                self.ties[pair] *= 1.0 - self.r.rotation_loss

    # --------------------------------------------------------------- events
    def dated_events(self) -> list[tuple[float, str, tuple]]:
        """(time, method name, args) of every dated event inside the run."""
        r, clock = self.r, self.clock
        out: list[tuple[float, str, tuple]] = []
        days = list(r.transitions) + ([r.rpjmd_end] if r.rpjmd_end else [])
        out += [(clock.t(d), "transition", ()) for d in days]
        out += [(clock.t(dt.date.fromisoformat(d)), "rotation", (a,))
                for d, a in sorted(r.rotations.items())]
        return sorted((t, name, args) for t, name, args in out if 0 <= t < clock.horizon)

    def row(self) -> dict[str, float]:
        """The timeseries columns: each pair's state, and each agency's pressure."""
        out = {f"coord_{p}": round(s, 6) for p, s in self.state.items()}
        out.update({f"pressure_{a}": round(v, 6) for a, v in self.pressure.items()})
        return out


class TrustDynamics(Component):
    """Working trust run as a component of the model: at each month end every agency
    senses its backlog (cases at its desk per regular staff member) and the rules move
    the pairs; the pairs' states and the agencies' pressure are columns of the timeseries.
    Its dated shocks are :class:`TrustShocks`', queued after the Tim's meetings."""

    def __init__(self, relations: Relations, backlog: Callable[[str], int],
                 staff: dict[str, int]):
        self.relations = relations
        self.backlog = backlog  # cases in an agency's queue or in service now
        self.staff = staff  # each agency's regular staff

    def month_end(self, t: float) -> None:
        self.relations.month(t, {a: (self.backlog(a), n) for a, n in self.staff.items()})

    def row(self, t: float) -> dict[str, float]:
        return self.relations.row()


class TrustShocks(Component):
    """The dated shocks to working trust (political transitions, staff rotations), put on
    the queue at the start."""

    def __init__(self, relations: Relations):
        self.relations = relations

    def start(self, events: EventQueue) -> None:
        for t, name, args in self.relations.dated_events():
            events.schedule(t, getattr(self.relations, name), *args, priority=LATE)
