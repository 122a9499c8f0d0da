"""A minimal SolaraViz dashboard: the seven barriers as sliders, coverage and queues live.

Start it with ``jambi-sim dashboard`` (listens on 127.0.0.1 unless ``--host`` is given).
The bilingual workshop dashboard with side-by-side scenarios is later work; this one
steps the same :class:`~sim.model.JambiBugarModel` the CLI runs, one day per step. The
sliders start at the schema's barrier defaults and, on reset, override the barrier values
of a scenario given with ``--scenario``.
"""

from __future__ import annotations

import os

from mesa.visualization import Slider, SolaraViz, make_plot_component

from sim.model import JambiBugarModel
from sim.scenario import Barriers

SCENARIO = os.environ.get("JAMBI_SIM_SCENARIO") or None
BARRIERS = list(Barriers.model_fields)

model_params = {
    "scenario": SCENARIO,
    "seed": {"type": "SliderInt", "value": 1, "min": 1, "max": 100, "step": 1, "label": "Seed"},
    **{b: Slider(b.replace("_", " ").capitalize(), getattr(Barriers(), b), 0.0, 1.0, 0.05)
       for b in BARRIERS},
}

page = SolaraViz(
    JambiBugarModel(scenario=SCENARIO, seed=1),
    components=[make_plot_component(["enrolled", "eligible"]),
                make_plot_component(["in_process", "queue_dinsos", "queue_dinkes",
                                     "queue_bpjs"])],
    model_params=model_params,
    name="Jambi Bugar enrollment",
    play_interval=1,
    render_interval=30,
)
