"""Where everyone who has been eligible is, on any date: the accounting of the gap.

Every person of a household that was eligible when it came (``Household.counted``: the
uninsured poor of the first day, institutions' rosters, the first day's members,
newcomers, people dropped from central PBI-JK) is in exactly one account:

==================  ===============================================================
``active``          an active Jambi Bugar card
``never_applied``   eligible and uninsured, no application yet (aware or not)
``in_pipeline``     a case open on its route (not waiting for a slot)
``waiting_slot``    a case waiting at the quota, or turned away at a full front door
                    and coming back
``abandoned``       its last case was given up (or it gave up at the front door)
``rejected``        its last case was rejected
``deactivated``     deactivated while still eligible, not back yet
``moved_to_pbi_jk`` taken over by central PBI-JK (covered, outside the city's stock)
``moved_away``      moved out of Kota Jambi
``no_longer_eligible``  rose out of poverty, or found ineligible at re-verification
``died``            died
==================  ===============================================================

The population keeps the accounts as they change: the departed as they left
(:attr:`Population.gone_people`), the active members of counted households, and the
uninsured whose account is settled by their last case or setback. Only the households
with a case open or coming back to the front door are read from their states (a scan of
every household, which :meth:`Accounting.audit` checks the accounts against, took about
5% of a city replication, most of it waiting for memory). The parts add up to everyone
ever eligible (``Population.ever_eligible_people``) with no residual: the audit checks it
between steps, and every month's timeseries row carries the accounts (``acct_*``).
"""

from __future__ import annotations

from typing import Any

from sim.model.component import Component

ACCOUNTS = ("active", "never_applied", "in_pipeline", "waiting_slot", "abandoned", "rejected",
            "deactivated", "moved_to_pbi_jk", "moved_away", "no_longer_eligible", "died")
# A departed household's exit reason -> its account.
GONE_ACCOUNT = {"central_pbi": "moved_to_pbi_jk", "moved": "moved_away", "death": "died",
                "income_rise": "no_longer_eligible", "reverified_out": "no_longer_eligible"}
# A household's last case or setback (no case open, not enrolled) -> its account.
LAST_END_ACCOUNT = {"": "never_applied", "abandoned": "abandoned", "rejected": "rejected",
                    "deactivated": "deactivated", "enrolled": "never_applied"}


class Accounting(Component):
    """Reads the accounts from a population (:class:`~sim.model.population.Population`:
    its households, ``gone_people``, ``ever_eligible_people`` and open-system counters)."""

    def __init__(self, population: Any, quota: Any):
        self.population = population
        self.quota = quota

    def accounts(self) -> dict[str, int]:
        """Where everyone who has been eligible is now, in people. The population keeps
        the accounts as they change (``counted_active_people``, ``settled_people``), except
        for the households whose account moves with a case or a wait at the front door
        (``unsettled``, a few hundred to a few thousand): only those are read, not every
        household. The same accounts as :meth:`scan`, which :meth:`audit` checks."""
        pop = self.population
        acc = dict.fromkeys(ACCOUNTS, 0)
        acc.update(pop.gone_people)
        acc.update(pop.settled_people)
        acc["active"] = pop.counted_active_people
        for hh in pop.unsettled.values():
            acc[_uninsured_account(hh)] += hh.members
        return acc

    def scan(self) -> dict[str, int]:
        """The accounts read from every household's state."""
        pop = self.population
        acc = dict.fromkeys(ACCOUNTS, 0)
        acc.update(pop.gone_people)
        for hh in pop.households:
            if hh.status == "gone" or not hh.counted:
                continue
            key = "active" if hh.status == "enrolled" else _uninsured_account(hh)
            acc[key] += hh.members
        return acc

    def row(self, t: float) -> dict[str, Any]:
        """The month's accounts (``acct_*``, people) and the open-system flows so far."""
        pop = self.population
        row = {f"acct_{k}": v for k, v in self.accounts().items()}
        row["ever_eligible"] = pop.ever_eligible_people
        row["turned_away"] = pop.turned_away
        row["comebacks"] = pop.comebacks
        row["from_pbi_jk"] = pop.from_pbi_jk
        return row

    def audit(self) -> list[str]:
        """The accounts kept as they change are those read from every household; they
        add up to everyone ever eligible; ``active`` is the active members of counted
        households."""
        pop, bad = self.population, []
        acc = self.scan()
        if self.accounts() != acc:
            bad.append(f"accounts kept as they change {self.accounts()} != accounts read "
                       f"from every household {acc}")
        if sum(acc.values()) != pop.ever_eligible_people:
            bad.append(f"accounting {sum(acc.values())} != everyone ever eligible "
                       f"{pop.ever_eligible_people}: {acc}")
        uncounted = sum(h.members for h in pop.households
                        if h.status == "enrolled" and not h.counted)
        if acc["active"] != self.quota.active - uncounted:
            bad.append(f"accounted active {acc['active']} != active members "
                       f"{self.quota.active} - {uncounted} never counted")
        return bad


def _uninsured_account(hh: Any) -> str:
    """The account of a living, counted household that is not enrolled."""
    if hh.case is not None:
        return "waiting_slot" if hh.case.where == "quota" else "in_pipeline"
    if hh.door_wait:
        return "waiting_slot"
    return LAST_END_ACCOUNT[hh.last_end]
