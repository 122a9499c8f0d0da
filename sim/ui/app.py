"""The workshop dashboard: move a policy control, see the city's enrollment respond.

Start it with ``jambi-sim dashboard [--scenario FILE] [--lang id|en]`` (127.0.0.1 unless
``--host`` is given; assets served locally, no telemetry). Built on Solara, the toolkit
under Mesa's SolaraViz, because a workshop needs what SolaraViz's fixed sidebar does not
give: every label in Bahasa Indonesia and English, a change that takes effect at once
instead of on Reset, and the baseline beside the changed scenario.

- One model run per browser session: each tab keeps its own settings and results.
- A change runs the changed scenario (one :class:`~sim.model.JambiBugarModel`
  replication, start to end, same seed and city as the baseline) in a background thread;
  the coverage plot grows while it runs, the other plots redraw when it is done. A newer
  change cancels an older run.
- The baseline of a seed is computed once per server and shared (read only).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
import time

import solara
import solara.lab

from sim.show.i18n import BARRIERS, LANGS, num, tr
from sim.ui.dashboard import (
    BARRIER_NAMES,
    CAMPAIGN_MONTHS,
    FIGURES,
    Settings,
    baseline,
    ensemble_answer,
    ensemble_from_env,
    fig_replay,
    gap_by_cause,
    pick_case,
    run_stepwise,
    summary_line,
)
from sim.ui.serve import scenario_from_env

SCENARIO = scenario_from_env(dict(os.environ))  # as ``jambi-sim dashboard`` read it
ENSEMBLE = ensemble_from_env(dict(os.environ), SCENARIO)  # its interactive sets, or None
_POOL: list = []  # the dashboard's worker pool for ensemble runs, started when first asked
_POOL_LOCK = threading.Lock()


def pool():
    """The server's one warm pool (its workers die with the server)."""
    from sim.runner.replications import WorkerPool

    with _POOL_LOCK:  # two sessions may ask at once
        if not _POOL:
            _POOL.append(WorkerPool(max(1, os.cpu_count() or 1)))
        return _POOL[0]
START = Settings.of(SCENARIO)
LANG = os.environ.get("JAMBI_SIM_LANG", "id") if os.environ.get("JAMBI_SIM_LANG") in LANGS \
    else "id"
# Warm the shared baseline of the default seed while the server starts.
threading.Thread(target=lambda: baseline(START.scenario(SCENARIO), START.seed),
                 daemon=True).start()


def png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


@solara.component
def Plot(key: str, make, deps: list, live: bool = False):
    """A matplotlib figure as a PNG image, redrawn only when ``deps`` change."""
    data = solara.use_memo(lambda: png(make()), deps)
    classes = ["jb-plot", f"jb-plot-{key}"] + (["jb-live"] if live else ["jb-final"])
    with solara.Column(classes=classes, style={"width": "100%"}):
        solara.Image(data, width="100%")


STEP = 0.05  # the float sliders' step


def moved(old: float, new: float) -> bool:
    """A slider's value is a participant's move, not the slider snapping a starting value
    that lies between two steps (a calibrated turf of 0.436 shown on a 0.05 grid): the
    browser may report such a snap as a change, which would start a run nobody asked for
    and leave the page off the calibrated baseline."""
    return abs(float(new) - float(old)) >= STEP / 2


@solara.component
def Labelled(text: str, cls: str, widget):
    """A control with its label (and current value) above it, full width."""
    with solara.Column(classes=[cls], gap="0px", style={"width": "100%"}):
        solara.Text(text, style={"font-size": "0.9em"})
        widget()


def mechanism(s: Settings, set_s, lang: str, name: str) -> None:
    """A mechanism's on/off box and its strength slider (disabled while it is off)."""
    on, strength = getattr(s, name), getattr(s, f"{name}_strength")
    solara.Checkbox(label=tr(name, lang), value=on,
                    on_value=lambda v: set_s(s.replace(**{name: bool(v)})))
    Labelled(f"{tr(f'{name}_strength', lang)}: {num(strength, lang, 2)}",
             f"jb-{name}-strength",
             lambda: solara.SliderFloat("", value=strength, min=0.0, max=1.0, step=STEP,
                                        disabled=not on, thumb_label=False,
                                        on_value=lambda v: moved(strength, v) and set_s(
                                            s.replace(**{f"{name}_strength": float(v)}))))


@solara.component
def Controls(s: Settings, set_s, lang: str):
    def barrier(i: int, name: str):
        def change(v: float):
            if not moved(s.barriers[i], v):
                return
            b = list(s.barriers)
            b[i] = round(float(v), 2)
            set_s(s.replace(barriers=tuple(b)))
        Labelled(f"{BARRIERS[lang][name]}: {num(s.barriers[i], lang, 2)}", f"jb-{name}",
                 lambda: solara.SliderFloat("", value=s.barriers[i], min=0.0, max=1.0,
                                            step=STEP, on_value=change, thumb_label=False))

    with solara.Card(tr("barriers", lang)):
        solara.Text(tr("barriers_help", lang), style={"font-size": "0.85em"})
        for i, name in enumerate(BARRIER_NAMES):
            barrier(i, name)
    with solara.Card(tr("mechanisms", lang)):
        mechanism(s, set_s, lang, "hierarchy")
        Labelled(f"{tr('tim_interval', lang)}: {s.review_interval_days}", "jb-tim-interval",
                 lambda: solara.SliderInt("", value=s.review_interval_days, min=14, max=180,
                                          step=1, disabled=not s.hierarchy, thumb_label=False,
                                          on_value=lambda v: set_s(
                                              s.replace(review_interval_days=int(v)))))
        Labelled(f"{tr('tim_approval', lang)}: {s.approval_interval_days}", "jb-tim-approval",
                 lambda: solara.SliderInt("", value=s.approval_interval_days, min=7, max=90,
                                          step=1, thumb_label=False,
                                          # sittings are a what-if the scenario file switches
                                          # on; the baseline's Tim approves no case
                                          disabled=not (s.hierarchy and SCENARIO.coordination
                                                        .hierarchy.approval_sittings),
                                          on_value=lambda v: set_s(
                                              s.replace(approval_interval_days=int(v)))))
        mechanism(s, set_s, lang, "network")
        mechanism(s, set_s, lang, "collaboration")
    with solara.Card(tr("pathway_mode", lang)):
        modes = {"switch": tr("mode_switch", lang), "manual": tr("mode_manual", lang),
                 "online": tr("mode_online", lang)}
        back = {v: k for k, v in modes.items()}
        solara.Select(tr("pathway_mode", lang), values=list(modes.values()),
                      value=modes[s.pathway_mode],
                      on_value=lambda v: set_s(s.replace(pathway_mode=back[v])))
        DateInput(s, set_s, lang)
    with solara.Card(tr("campaign", lang)):
        solara.Select(tr("campaign_every", lang), values=[str(k) for k in CAMPAIGN_MONTHS],
                      value=str(s.campaigns_per_year),
                      on_value=lambda v: set_s(s.replace(campaigns_per_year=int(v))))
        Labelled(f"{tr('campaign_reach', lang)}: {num(s.campaign_reach, lang, 2)}",
                 "jb-campaign-reach",
                 lambda: solara.SliderFloat("", value=s.campaign_reach, min=0.0, max=1.0,
                                            step=STEP, thumb_label=False, on_value=lambda v:
                                            moved(s.campaign_reach, v) and
                                            set_s(s.replace(campaign_reach=float(v)))))
    with solara.Card(tr("quota", lang)):
        Labelled(f"{tr('quota', lang)}: {num(s.budget_scale, lang, 2)}", "jb-quota",
                 lambda: solara.SliderFloat("", value=s.budget_scale, min=0.5, max=2.0,
                                            step=STEP, thumb_label=False, on_value=lambda v:
                                            moved(s.budget_scale, v) and
                                            set_s(s.replace(budget_scale=float(v)))))
        solara.Text(tr("quota_help", lang))
    with solara.Card(tr("seed", lang).capitalize()):
        solara.InputInt(tr("seed", lang).capitalize(), value=s.seed, continuous_update=False,
                        on_value=lambda v: set_s(s.replace(seed=max(0, int(v or 0)))))


@solara.component
def DateInput(s: Settings, set_s, lang: str):
    text, set_text = solara.use_state(s.online_from.isoformat())
    error, set_error = solara.use_state("")
    t = SCENARIO.time

    def commit(value: str):
        set_text(value)
        try:
            day = dt.date.fromisoformat(value.strip())
            if not t.start < day <= t.end:
                raise ValueError
        except ValueError:
            set_error(tr("bad_date", lang, lo=t.start.isoformat(), hi=t.end.isoformat(),
                         kept=s.online_from.isoformat()))
            return
        set_error("")
        set_s(s.replace(online_from=day))

    solara.InputText(tr("online_from", lang), value=text, on_value=commit,
                     continuous_update=False, disabled=s.pathway_mode != "switch")
    if error:
        solara.Warning(error)


@solara.component
def Page():
    lang, set_lang = solara.use_state(LANG)
    s, set_s = solara.use_state(START)
    partial = solara.use_reactive(None)  # this session's run in progress
    generation = solara.use_ref(0)

    def compute():
        generation.current += 1
        mine = generation.current
        partial.set(None)  # nothing of an older, cancelled run
        t0 = time.perf_counter()
        base = baseline(START.replace(seed=s.seed).scenario(SCENARIO), s.seed)
        sc = s.scenario(SCENARIO)
        if sc == base.scenario:
            changed = base
        else:
            changed = run_stepwise(sc, s.seed,
                                   publish=lambda r: partial.set(r)
                                   if generation.current == mine else None,
                                   cancelled=lambda: generation.current != mine)
        return base, changed, time.perf_counter() - t0

    task = solara.lab.use_task(compute, dependencies=[s])
    shown = solara.use_ref(None)  # the last complete pair (a cancelled run has none)
    if task.latest is not None and task.latest[1] is not None:
        shown.current = task.latest
    done = shown.current

    solara.Title(tr("app_title", lang))
    with solara.AppBar():
        solara.AppBarTitle(tr("app_title", lang))
        solara.ToggleButtonsSingle(value=lang, values=list(LANGS), on_value=set_lang,
                                   classes=["jb-lang"])
    with solara.Sidebar():
        solara.Button(tr("baseline", lang) + " ↺", on_click=lambda: set_s(
            START.replace(seed=s.seed)), text=True, classes=["jb-reset"])
        Controls(s, set_s, lang)

    with solara.Column(style={"padding": "8px"}):
        # The progress bar and error sit in a column of their own that is always there:
        # were they put into this column only while a run is pending, the plots below
        # would move down one place, and a moved component is a new one that redraws
        # its picture (0.1-0.3 s, before the run could even start).
        with solara.Column(gap="0px", classes=["jb-status"]):
            if task.pending:
                solara.ProgressLinear(True)
                solara.Text(tr("running", lang), classes=["jb-running"])
            if task.error:
                solara.Error(str(task.exception))
        if done is None:
            if partial.value is not None:
                solara.Text(tr("running", lang))
            return
        base, changed, secs = done
        solara.Info(tr("auto_note", lang, secs=num(secs, lang, 1)), dense=True,
                    classes=["jb-note"])
        for which, r in (("base", base), ("changed", changed)):
            solara.Text(summary_line(which, r, lang), classes=[f"jb-summary-{which}"])
        EnsembleBand(base, changed, lang)
        key = [id(base), id(changed), lang]
        # eight tabs fit one line at a laptop's width: no capitals, tighter padding (with
        # Vuetify's, the last tabs scroll out of sight behind arrows)
        solara.Style(".jb-tabs .v-tab {text-transform: none; letter-spacing: normal; "
                     "min-width: 0; padding: 0 12px;}")
        with solara.Column(gap="0px", classes=["jb-tabs"]), solara.lab.Tabs(lazy=True):
            with solara.lab.Tab(tr("tab_coverage", lang)):
                live = partial.value if task.pending and partial.value is not None else None
                if live is not None:
                    Plot("coverage", lambda: FIGURES["coverage"](base, live, lang),
                         [id(live), lang], live=True)
                else:
                    Plot("coverage", lambda: FIGURES["coverage"](base, changed, lang), key)
            with solara.lab.Tab(tr("tab_funnel", lang)):
                Plot("funnel", lambda: FIGURES["funnel"](base, changed, lang), key)
            with solara.lab.Tab(tr("tab_backlog", lang)):
                Plot("backlog", lambda: FIGURES["backlog"](base, changed, lang), key)
            with solara.lab.Tab(tr("tab_days", lang)):
                Plot("days", lambda: FIGURES["days"](base, changed, lang), key)
            with solara.lab.Tab(tr("tab_cost", lang)):
                Plot("cost", lambda: FIGURES["cost"](base, changed, lang), key)
            with solara.lab.Tab(tr("tab_accounting", lang)):
                Plot("accounting", lambda: FIGURES["accounting"](base, changed, lang), key)
            with solara.lab.Tab(tr("tab_causes", lang)):  # short: eight tabs on one line
                GapByCause(changed, lang)
            with solara.lab.Tab(tr("tab_replay", lang)):
                Replay(changed, lang)


@solara.component
def EnsembleBand(base, changed, lang: str):
    """The changed scenario over the calibrated sets, paired with the baseline: when asked
    (the single-set answer shows at once, the band when it is ready)."""
    from sim.runner.ensemble import agree_text

    # the hooks first, on every render: a component calls the same hooks each time
    asked, set_asked = solara.use_state(None)
    task = solara.lab.use_task(
        lambda: ensemble_answer(base, changed, ENSEMBLE, pool())
        if ENSEMBLE is not None and asked is changed else None,
        dependencies=[asked, id(changed)])
    if ENSEMBLE is None:
        solara.Text(tr("ens_none", lang), style={"font-size": "0.85em"})
        return
    n = len(ENSEMBLE)
    with solara.Row(style={"align-items": "center"}):
        solara.Button(tr("ens_ask", lang, n=n), on_click=lambda: set_asked(changed),
                      disabled=task.pending, classes=["jb-ens-ask"], small=True)
        solara.Text(tr("ens_help", lang, n=n), style={"font-size": "0.8em"})
    if task.pending:
        solara.ProgressLinear(True)
    elif task.error:
        solara.Error(str(task.exception))
    elif asked is changed and task.value is not None:
        a = task.value
        band = a["band"]
        d = a["diff"]["active_members_end"]
        with solara.Column(gap="0px", classes=["jb-ens-result"]):
            solara.Text(tr("ens_band", lang, n=a["sets"], mean=num(band["mean"], lang),
                           lo=num(band["band_2_5_97_5"][0], lang),
                           hi=num(band["band_2_5_97_5"][1], lang)))
            if a["changes"]:
                sign = "+" if d["mean"] >= 0 else ""
                solara.Text(tr("ens_diff", lang, diff=sign + num(d["mean"], lang),
                               agree=agree_text(d, lang)))


@solara.component
def GapByCause(run, lang: str):
    """The gap of your scenario by cause: seven paired runs, only when asked."""
    asked, set_asked = solara.use_state(None)  # the run the button was pressed for
    task = solara.lab.use_task(lambda: gap_by_cause(run) if asked is run else None,
                               dependencies=[asked, id(run)])
    solara.Text(tr("gap_ask_help", lang), style={"font-size": "0.9em"})
    solara.Button(tr("gap_ask", lang), on_click=lambda: set_asked(run),
                  disabled=task.pending, classes=["jb-gap-ask"])
    if task.pending:
        solara.ProgressLinear(True)
    elif task.error:
        solara.Error(str(task.exception))
    elif asked is run and task.value is not None:
        from sim.show.gap import attribution_figure

        Plot("attribution", lambda: attribution_figure(task.value, lang),
             [id(task.value), lang])


@solara.component
def Replay(run, lang: str):
    case, set_case = solara.use_state(None)
    ids = run.cases["case_id"]
    chosen = case if case is not None and (ids == case).any() else pick_case(run)
    solara.InputInt(tr("replay_pick", lang) + f" (1–{num(int(ids.max()), lang)})",
                    value=chosen, continuous_update=False, on_value=set_case)
    Plot("replay", lambda: fig_replay(run, chosen, lang), [id(run), chosen, lang])
