"""Mesa, imported without changing the caller's multiprocessing start method.

Importing Mesa (any part of it: ``mesa/__init__.py`` imports ``mesa.batchrunner``) calls
``multiprocessing.set_start_method("spawn", force=True)`` for the whole process. A library
must not change its caller's start method (a pool whose function is defined in a notebook or
on standard input then hangs), so the method in force before Mesa's import is put back. The
project's own pools ask for the context they need (``multiprocessing.get_context``).
Every module of ``sim`` imports Mesa from here.
"""

from __future__ import annotations

import copy
import itertools
import multiprocessing as _mp
import multiprocessing.context as _mp_context
import types
from typing import Any

_before = _mp.get_start_method(allow_none=True)

import mesa  # noqa: E402

if _mp.get_start_method(allow_none=True) != _before:
    if _before is None:  # not chosen yet: let the platform default apply again
        _mp_context._default_context._actual_context = None
    else:
        _mp.set_start_method(_before, force=True)



class _IdsPerModel:
    """Agent numbers per model, kept on the model.

    Mesa 3.3 counts agents' ``unique_id`` in ``Agent._ids``, a class-level
    ``defaultdict`` keyed by the model itself: every model ever built stays alive through
    it, with all its agents, cases and draws (about 36 MB per city-scale replication, so
    a sweep worker grew by that much per run). Here each model holds its own counter (in
    ``_agent_ids``), which goes with it, and agents are numbered exactly as Mesa does
    (1, 2, ... per model). (A ``WeakKeyDictionary`` keyed by the model did the same at
    about 2,000 more instructions an agent: a weak reference made per lookup.)
    """

    __slots__ = ()

    def __getitem__(self, model: Any) -> itertools.count[int]:
        try:
            return model._agent_ids
        except AttributeError:
            count = model._agent_ids = itertools.count(1)
            return count


class Agent(mesa.Agent):
    """Mesa's agent, without the class-level registry that keeps every model alive.

    Every agent of ``sim`` derives from this class: ids are numbered per model across all
    of them, as with Mesa's own counter.
    """

    _ids = _IdsPerModel()


class Model(mesa.Model):
    """Mesa's model, keeping its agents in one dict.

    Mesa 3.3 also keeps two live AgentSets beside that dict (all agents, and one per
    type), with a weak reference per agent in each: registering and removing agents took
    about 40 ms of a 0.94 s city replication (4%, households arrive and leave all through
    it) and about 260 bytes per agent. Here the AgentSets are built when read and kept
    until an agent joins or leaves: ``model.agents``, ``model.agents_by_type`` and
    ``model.agent_types`` hold what Mesa's would, in the same order (a type keeps its place,
    and an empty set, after its last agent leaves). An AgentSet read before an agent joins
    or leaves does not see it: read it again (``tests/test_model.py``).
    """

    _views: tuple[mesa.agent.AgentSet, dict[type, mesa.agent.AgentSet]] | None = None
    _types: dict[type, None] | None = None  # every type registered, in order of its first

    def register_agent(self, agent: mesa.Agent) -> None:
        self._agents[agent] = None
        kinds = self._types
        if kinds is None:
            kinds = self._types = {}
        if type(agent) not in kinds:
            kinds[type(agent)] = None
        self._views = None

    def deregister_agent(self, agent: mesa.Agent) -> None:
        del self._agents[agent]
        self._views = None

    def _agent_views(self) -> tuple[mesa.agent.AgentSet, dict[type, mesa.agent.AgentSet]]:
        views = self._views
        if views is None:
            by_type: dict[type, list[mesa.Agent]] = {kind: [] for kind in self._types or ()}
            for agent in self._agents:
                by_type[type(agent)].append(agent)
            AgentSet = mesa.agent.AgentSet  # noqa: N806
            views = self._views = (
                AgentSet(self._agents, random=self.random),
                {kind: AgentSet(agents, random=self.random) for kind, agents in by_type.items()})
        return views

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Every agent of the model, as an AgentSet (built when read; see the class)."""
        return self._agent_views()[0]

    @agents.setter
    def agents(self, agents: Any) -> None:
        mesa.Model.agents.fset(self, agents)  # Mesa's own error: the name is Mesa's

    @property
    def agents_by_type(self) -> dict[type, mesa.agent.AgentSet]:
        """An AgentSet per agent type (built when read; see the class)."""
        return self._agent_views()[1]

    @property
    def agent_types(self) -> list[type]:
        return list(self._agent_views()[1])


class DataCollector(mesa.DataCollector):
    """Mesa's DataCollector, without copying numbers. Mesa deep-copies every value a model
    reporter gives, which for an int or a float is the value itself: 17 ms of a city
    replication (2%) collecting a row a day. Here model reporters that are attribute names
    or functions of the model store such values as they are, and deep-copy any other, as
    Mesa does. A collector with agent or agent-type reporters, or another kind of model
    reporter, collects through Mesa's own ``collect``."""

    def collect(self, model: mesa.Model) -> None:
        reporters = self.model_reporters
        if (self.agent_reporters or self.agenttype_reporters or not self._validated
                or not all(isinstance(r, str | types.FunctionType) for r in reporters.values())):
            super().collect(model)
            return
        for var, reporter in reporters.items():
            value = getattr(model, reporter, None) if isinstance(reporter, str) \
                else reporter(model)
            if type(value) not in (int, float):
                value = copy.deepcopy(value)
            self.model_vars[var].append(value)


__all__ = ["Agent", "DataCollector", "Model", "mesa"]
