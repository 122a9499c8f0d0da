"""The model classes keep their fields in slots (declared in their .pxd, sim.engine.fields),
and a household carries no instance dict of its own."""

from __future__ import annotations

import gc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _slots(cls: type) -> set[str]:
    return {name for kind in cls.__mro__ for name in getattr(kind, "__slots__", ())}


def test_the_slotted_model_classes_keep_every_field() -> None:
    from sim.model.agents import Household, Office
    from sim.model.pathways import CaseFlow
    from sim.model.population import Population
    for cls, some in [(Household, {"idx", "status", "case", "filed", "model", "unique_id"}),
                      (Office, {"desk", "calendar", "surges"}),
                      (CaseFlow, {"events", "where", "city", "t_online"}),
                      (Population, {"households", "unsettled", "_exit_event"})]:
        assert some <= _slots(cls), cls.__name__


def test_households_carry_no_instance_dict() -> None:
    """Mesa's fields (model, unique_id, pos) sit in a household's slots: compiled, a
    household is made by a C type's allocator and gets no inline values, so each of them
    would otherwise give it a dict of its own, about 200 bytes a household. (From the
    ``.py`` files a household always has inline values: the test can fail compiled only.)"""
    from sim.model import JambiBugarModel
    from sim.model.agents import Household
    from sim.scenario import load_scenario

    model = JambiBugarModel(scenario=load_scenario(ROOT / "scenarios" / "online_2021.toml"), seed=0,
                            rep=0, tables=False)
    for _ in range(5):
        model.step()
    households = [h for h in model.population.households if isinstance(h, Household)]
    assert len(households) > 1000
    with_dict = [h for h in households
                 if any(isinstance(r, dict) for r in gc.get_referents(h))]
    assert with_dict == []


def test_scenario_numbers_copy_each_parameter_from_its_section() -> None:
    """The handlers read the copies in ``ScenarioNumbers``: each field is the scenario's
    parameter of the same name, from the section ``SECTIONS`` gives, overrides included,
    and every field has a section. Overridden values differ from the defaults, so a field
    copied from the wrong section or left unset fails."""
    from sim.model.scenario_numbers import SECTIONS, ScenarioNumbers, numbers_of
    from sim.scenario import load_scenario

    base = load_scenario(ROOT / "scenarios" / "online_2021.toml")
    changes = {}
    for section, names in SECTIONS.items():
        for name in names:
            value = getattr(getattr(base, section), name)
            changes[f"{section}__{name}"] = not value if isinstance(value, bool) else \
                value + 1 if isinstance(value, int) else value * 0.9 + 0.01
    sc = base.with_overrides(**changes)
    copied = numbers_of(sc)
    listed = [name for names in SECTIONS.values() for name in names]
    assert sorted(listed) == sorted(_slots(ScenarioNumbers)), "a field without a section"
    assert len(set(listed)) == len(listed)
    for section, names in SECTIONS.items():
        for name in names:
            want = getattr(getattr(sc, section), name)
            assert want != getattr(getattr(base, section), name), (section, name)
            assert getattr(copied, name) == want, (section, name)
