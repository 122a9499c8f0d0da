"""The routes a case takes: the offices of each pathway, in order, and the places a case
waits between them (the explanation of each pathway is in :mod:`sim.model.pathways`).

A route is a sequence of steps. Office steps have a desk; the others are places a case
waits: ``tim`` (the Tim Koordinasi's approval sitting: only in the what-if
``coordination.hierarchy.approval_sittings``), ``quota`` (a free slot under the budget cap)
and ``activation`` (the BPJS cut-off).
"""

from __future__ import annotations

OFFICE_ROUTES = {
    "manual": ("rt", "lurah", "camat", "dinsos", "dinkes", "bpjs"),
    "online": ("rt", "lurah", "dinsos", "dinkes", "bpjs"),
    "referral": ("dinsos", "dinkes", "bpjs"),
    # one agency end to end (sustainability.single_agency_from): Dinas Sosial verifies and
    # registers; no Dinas Sosial -> Dinas Kesehatan hand-off
    "single": ("rt", "lurah", "dinsos", "bpjs"),
    "referral_single": ("dinsos", "bpjs"),
    # a deactivated member asks Dinas Sosial to reactivate it (Permensos 21/2019)
    "reactivation": ("dinsos", "bpjs"),
    # a registration drive without the checks (policy.drive_checked off): straight to BPJS
    "drive": ("bpjs",),
}
# Offices the citizen visits in person, by route.
VISITED = {"manual": frozenset({"rt", "lurah", "camat", "dinsos", "dinkes"}),
           "online": frozenset({"rt"}), "referral": frozenset(),
           "single": frozenset({"rt"}), "referral_single": frozenset(),
           "reactivation": frozenset(), "drive": frozenset()}
# Where an open case can be.
PLACES = ("docs", "queue", "transit", "citizen", "dtks", "tim", "quota", "activation")


def routes(tim_gate: bool) -> dict[str, tuple[str, ...]]:
    """Every route's steps: the offices, with the Tim's sitting (only if its approval
    sittings are switched on) and the quota before BPJS, and activation after it."""
    gates = ("tim", "quota") if tim_gate else ("quota",)
    return {mode: offices[:-1] + gates + (offices[-1], "activation")
            for mode, offices in OFFICE_ROUTES.items()}
