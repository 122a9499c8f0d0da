"""Interview evidence as model input: ratings of Peters' barriers and mechanisms, with the
quotes and documents behind them, turned into parameter ranges that trace back to them.

An evidence file (``evidence/<study>.toml``) holds:

- ``[study]``: ``id``, ``title``, ``scale`` (``"low-medium-high"`` or ``"1-5"``, the scale
  the researcher used);
- ``[[sources]]``: one per quote, observation or document: ``id``, ``kind``
  (``interview``, ``observation`` or ``document``), ``role`` (the informant's role, or the
  document's issuer), ``text`` (the quote or the finding, in the original language),
  ``where`` (where in the study it is);
- ``[barriers.<name>]`` for each of Peters' seven barriers and ``[mechanisms.<name>]`` for
  hierarchy, network and collaboration: ``rating`` (a value of the scale, or
  ``"unrated"`` when the study gives no ground), ``confidence`` (``low``, ``medium`` or
  ``high``: the researcher's), ``sources`` (source ids) and an optional ``note``.

The mapping file (``evidence/mapping.toml``, apart from the code's defaults, editable by
the researcher) says, for each scale, the share of a parameter's range [0, 1] each rating
stands for; how much each confidence widens that share on each side; and, for each barrier
and mechanism, the parameters it sets with the parameter interval [lo, hi] that the share
is laid onto, and optionally (``set``) fixed values written when the item is rated at all
(a rated mechanism is switched on). The rule, applied exactly:

    (a, b) = scale share of the rating
    (a, b) = (max(0, a - w), min(1, b + w))      with w = widen[confidence]
    range  = (lo + a (hi - lo), lo + b (hi - lo)) for each mapped parameter

Triangulation (the thesis's validity criterion: several sources and methods): for each
rating, the number of sources and of distinct kinds behind it; a rating resting on one
source is flagged ``single source``, one resting on one kind ``single method``.

Outputs: a scenario TOML (each rated parameter at the middle of its range, with a comment
naming the evidence); a prior file (JSON: parameter -> lo, hi, rating, confidence, evidence
ids, triangulation flags) for calibration; and the same ranges as an experiment file
(``<study>_experiment.toml``: a Sobol' design whose factors are the rated parameters over
their ranges) that ``jambi-sim sensitivity`` accepts.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from sim.scenario import Scenario, ScenarioError

BARRIERS = ("specialization", "power", "performance_management", "turf", "beliefs", "politics",
            "accountability")
MECHANISMS = ("hierarchy", "network", "collaboration")
KINDS = ("interview", "observation", "document")
CONFIDENCE = ("low", "medium", "high")
UNRATED = "unrated"


class EvidenceError(Exception):
    """A mistake in an evidence or mapping file: file, key, value and what is allowed."""


SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def _safe_id(path: Path, key: str, value: Any) -> str:
    """An id that names files and TOML strings: letters, digits, '_' and '-' only, so a
    file derived from it stays inside the output folder (no '../../x')."""
    if not isinstance(value, str) or not SAFE_ID.fullmatch(value):
        raise EvidenceError(f"{path}: key {key} = {value!r:.60} must be a short name of "
                            f"letters, digits, '_' and '-' (it names the output files).")
    return value


def _table(path: Path, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EvidenceError(f"{path}: {key} must be a table, got {type(value).__name__}.")
    return value


def _load(path: Path, read: Any = None) -> dict[str, Any]:
    try:
        data = read(path) if read is not None else path.read_bytes()
        return tomllib.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise EvidenceError(f"{path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"{path}: cannot read the file ({exc}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise EvidenceError(f"{path}: not valid TOML ({exc}).") from None


def _allowed(values: Any) -> str:
    return ", ".join(str(v) for v in values)


def load_mapping(path: Path, read: Any = None) -> dict[str, Any]:
    m = _load(path, read)
    for key in ("scales", "widen", "barriers", "mechanisms"):
        if not isinstance(m.get(key), dict):
            raise EvidenceError(f"{path}: missing table [{key}].")
    for name, scale in m["scales"].items():
        for rating, share in _table(path, f"scales.{name}", scale).items():
            if not (isinstance(share, list) and len(share) == 2
                    and 0 <= share[0] <= share[1] <= 1):
                raise EvidenceError(f"{path}: scales.{name}.{rating} must be [a, b] with "
                                    f"0 <= a <= b <= 1, got {share!r}.")
    for conf in CONFIDENCE:
        if conf not in m["widen"]:
            raise EvidenceError(f"{path}: widen.{conf} is missing (allowed keys: "
                                f"{_allowed(CONFIDENCE)}).")
        w = m["widen"][conf]
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0 <= w <= 1:
            raise EvidenceError(f"{path}: widen.{conf} must be a number from 0 to 1, got "
                                f"{w!r}.")
    for group in ("barriers", "mechanisms"):
        for name, entry in m[group].items():
            entry = _table(path, f"{group}.{name}", entry)
            targets = entry.get("parameters", [])
            if not isinstance(targets, list):
                raise EvidenceError(f"{path}: {group}.{name}.parameters must be a list of "
                                    f"tables.")
            for i, t in enumerate(targets):
                key = f"{group}.{name}.parameters[{i}]"
                t = _table(path, key, t)
                if not isinstance(t.get("parameter"), str):
                    raise EvidenceError(f"{path}: {key} needs parameter = \"<name>\".")
                lo, hi = t.get("lo", 0.0), t.get("hi", 1.0)
                if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                           for v in (lo, hi)) or not lo < hi:
                    raise EvidenceError(f"{path}: {key} ({t['parameter']}): lo = {lo!r} and "
                                        f"hi = {hi!r} must be numbers with lo < hi, or the "
                                        f"range it gives would run backwards.")
    return m


def load_evidence(path: Path, mapping: dict[str, Any], read: Any = None) -> dict[str, Any]:
    """Read and check an evidence file against the mapping's scales."""
    return check_evidence(path, _load(path, read), mapping)


def check_evidence(path: Path, ev: dict[str, Any], mapping: dict[str, Any]) -> dict[str, Any]:
    """Check an evidence file's data (``path``: its name in messages) against the
    mapping's scales."""
    study = ev.get("study")
    if not isinstance(study, dict) or "id" not in study or "scale" not in study:
        raise EvidenceError(f"{path}: needs a [study] table with id and scale.")
    _safe_id(path, "study.id", study["id"])
    if not isinstance(study["scale"], str):
        raise EvidenceError(f"{path}: key study.scale must be a string such as "
                            f"\"low-medium-high\".")
    scales = mapping["scales"]
    if study["scale"] not in scales:
        raise EvidenceError(f"{path}: key study.scale = {study['scale']!r} is not a known "
                            f"scale; allowed: {_allowed(scales)}.")
    sources = {}
    if not isinstance(ev.get("sources", []), list):
        raise EvidenceError(f"{path}: sources must be a list of [[sources]] tables.")
    for i, src in enumerate(ev.get("sources", [])):
        src = _table(path, f"sources[{i}]", src)
        sid = src.get("id")
        if not sid:
            raise EvidenceError(f"{path}: sources[{i}] needs an id.")
        _safe_id(path, f"sources[{i}].id", sid)
        if sid in sources:  # one source counted twice would look like triangulation
            raise EvidenceError(f"{path}: sources[{i}].id = {sid!r} is given twice; each "
                                f"source needs its own id.")
        if src.get("kind") not in KINDS:
            raise EvidenceError(f"{path}: key sources[{i}].kind ({sid}) = "
                                f"{src.get('kind')!r}; allowed: {_allowed(KINDS)}.")
        sources[sid] = src
    allowed_ratings = list(scales[study["scale"]]) + [UNRATED]
    for group, names in (("barriers", BARRIERS), ("mechanisms", MECHANISMS)):
        table = ev.get(group, {})
        if not isinstance(table, dict):
            raise EvidenceError(f"{path}: [{group}] must be a table.")
        for name, item in table.items():
            item = _table(path, f"{group}.{name}", item)
            if name not in names:
                raise EvidenceError(f"{path}: key {group}.{name} is not one of Peters' "
                                    f"{group}; allowed: {_allowed(names)}.")
            key = f"{group}.{name}"
            rating = str(item.get("rating", ""))
            if rating not in allowed_ratings:
                raise EvidenceError(f"{path}: key {key}.rating = {item.get('rating')!r} is "
                                    f"outside the scale {study['scale']!r}; allowed: "
                                    f"{_allowed(allowed_ratings)}.")
            if rating != UNRATED and item.get("confidence") not in CONFIDENCE:
                raise EvidenceError(f"{path}: key {key}.confidence = "
                                    f"{item.get('confidence')!r}; allowed: "
                                    f"{_allowed(CONFIDENCE)}.")
            ids = item.get("sources", [])
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise EvidenceError(f"{path}: key {key}.sources must be a list of source ids.")
            twice = sorted({i for i in ids if ids.count(i) > 1})
            if twice:
                raise EvidenceError(f"{path}: key {key}.sources names {', '.join(twice)} more "
                                    f"than once; a source counts once.")
            for sid in ids:
                if sid not in sources:
                    raise EvidenceError(f"{path}: key {key}.sources names {sid!r}, which is "
                                        f"not a source id; allowed: {_allowed(sources)}.")
            if rating != UNRATED and not item.get("sources"):
                raise EvidenceError(f"{path}: key {key} is rated {rating!r} but names no "
                                    f"sources; give them, or rate it 'unrated'.")
    ev["_sources"] = sources
    return ev


def triangulation(ev: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per barrier and mechanism: rating, sources, kinds and flags."""
    rows = []
    for group, names in (("barriers", BARRIERS), ("mechanisms", MECHANISMS)):
        for name in names:
            item = ev.get(group, {}).get(name, {"rating": UNRATED})
            ids = list(item.get("sources", []))
            kinds = sorted({ev["_sources"][s]["kind"] for s in ids})
            rating = str(item.get("rating", UNRATED))
            flags = []
            if rating != UNRATED:
                if len(ids) < 2:
                    flags.append("single source")
                if len(kinds) < 2:
                    flags.append("single method")
            rows.append({"item": f"{group}.{name}", "rating": rating,
                         "confidence": item.get("confidence", ""), "n_sources": len(ids),
                         "kinds": "+".join(kinds), "sources": ",".join(ids),
                         "flags": "; ".join(flags)})
    return rows


def priors(ev: dict[str, Any], mapping: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Parameter -> range and the evidence behind it, by the mapping's documented rule."""
    scale = mapping["scales"][ev["study"]["scale"]]
    tri = {row["item"]: row for row in triangulation(ev)}
    out: dict[str, dict[str, Any]] = {}
    for group in ("barriers", "mechanisms"):
        for name, item in ev.get(group, {}).items():
            rating = str(item["rating"])
            if rating == UNRATED:
                continue
            a, b = scale[rating]
            w = float(mapping["widen"][item["confidence"]])
            a, b = max(0.0, a - w), min(1.0, b + w)
            for target in mapping[group].get(name, {}).get("parameters", []):
                lo, hi = float(target.get("lo", 0.0)), float(target.get("hi", 1.0))
                out[target["parameter"]] = {
                    "lo": lo + a * (hi - lo), "hi": lo + b * (hi - lo),
                    "rating": rating, "confidence": item["confidence"],
                    "item": f"{group}.{name}", "evidence": list(item["sources"]),
                    "flags": tri[f"{group}.{name}"]["flags"],
                }
    return out


def fixed_settings(ev: dict[str, Any], mapping: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    """Parameter -> (value, item) of the mapping's ``set`` table for each rated item (for
    example: a rated mechanism is switched on)."""
    out = {}
    for group in ("barriers", "mechanisms"):
        for name, item in ev.get(group, {}).items():
            if str(item["rating"]) != UNRATED:
                for param, value in mapping[group].get(name, {}).get("set", {}).items():
                    out[param] = (value, f"{group}.{name}")
    return out


def scenario_toml(ev: dict[str, Any], prior: dict[str, dict[str, Any]],
                  fixed: dict[str, tuple[Any, str]] | None = None) -> str:
    """A scenario with each rated parameter at the middle of its range."""
    sid = ev["study"]["id"]
    lines = [f"# Generated by 'jambi-sim evidence' from evidence/{sid}.toml: each value is the",
             "# middle of the range its rating maps to (evidence/mapping.toml); the prior",
             "# file beside it holds the ranges. Unrated items keep the model's defaults.",
             f'name = "evidence_{sid}"',
             f'description = "Barrier and mechanism levels from the evidence of {sid}"', ""]
    tables: dict[str, list[str]] = {}
    for param, (value, item) in sorted((fixed or {}).items()):
        section, _, leaf = param.rpartition(".")
        tables.setdefault(section, []).append(
            f"{leaf} = {json.dumps(value)}   # set because {item} is rated (mapping)")
    for param, p in sorted(prior.items()):
        section, _, leaf = param.rpartition(".")
        mid = round((p["lo"] + p["hi"]) / 2, 6)
        tables.setdefault(section, []).append(
            f"{leaf} = {mid}   # {p['item']} rated {p['rating']} ({p['confidence']} confidence); "
            f"evidence {', '.join(p['evidence'])}" + (f"; {p['flags']}" if p["flags"] else ""))
    for section, rows in tables.items():
        lines += [f"[{section}]", *rows, ""]
    return "\n".join(lines)


def experiment_toml(ev: dict[str, Any], prior: dict[str, dict[str, Any]]) -> str:
    """A Sobol' experiment over the rated parameters' ranges, on the generated scenario:
    the prior in the form ``jambi-sim sensitivity`` reads (sim/studies/spec.py)."""
    sid = ev["study"]["id"]
    lines = [f"# Generated by 'jambi-sim evidence' from {sid}: a Sobol' study over the ranges the",
             "# evidence gives (each factor names its evidence). Run: jambi-sim sensitivity "
             "<this file>",
             f'name = "evidence_{sid}_sobol"',
             f'description = "Sensitivity over the parameter ranges from the evidence of {sid}"',
             f'scenario = "{sid}_scenario.toml"', 'design = "sobol"', "samples = 32",
             "reps = 2", "seed = 20240331",
             'outputs = ["gap_to_target", "days_to_card_median", "share_households_lost"]', "",
             "[factors]"]
    for param, p in sorted(prior.items()):
        lines.append(f'"{param}" = {{ range = [{p["lo"]:.6g}, {p["hi"]:.6g}] }}   # '
                     f"{p['item']} rated {p['rating']}; evidence {', '.join(p['evidence'])}")
    return "\n".join(lines) + "\n"


def prepare(evidence_path: Path, mapping_path: Path, read: Any = None) -> dict[str, Any]:
    """Read and check both files and everything made from them, writing nothing: the
    evidence file first (a missing one is named, not its mapping), then the mapping, then
    the evidence against the mapping and the scenario it gives. ``read``: how to get a
    file's bytes (a command's reader, which reads each file once and hashes it)."""
    raw = _load(evidence_path, read)
    mapping = load_mapping(mapping_path, read)
    ev = check_evidence(evidence_path, raw, mapping)
    prior = priors(ev, mapping)
    text = scenario_toml(ev, prior, fixed_settings(ev, mapping))
    try:
        Scenario.from_dict(tomllib.loads(text), origin=f"scenario from {evidence_path}")
    except ScenarioError as exc:
        raise EvidenceError(f"{mapping_path}: the mapping gives values the scenario does not "
                            f"accept: {exc}") from None
    return {"evidence_path": evidence_path, "mapping_path": mapping_path, "evidence": ev,
            "prior": prior, "triangulation": triangulation(ev), "scenario": text}


def write_evidence(prepared: dict[str, Any], out: Any,
                   provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write the scenario, prior, experiment and triangulation files of :func:`prepare`'s
    result, and summary.json; return the prior, the triangulation and the scenario.
    ``out``: the folder, or a :class:`sim.runner.staging.StagedOutput` its caller made;
    ``provenance``: more for summary.json's provenance (a command's line, inputs and
    their hashes)."""
    ev, prior, tri = prepared["evidence"], prepared["prior"], prepared["triangulation"]
    evidence_path, mapping_path = prepared["evidence_path"], prepared["mapping_path"]
    sid = ev["study"]["id"]
    # Staged and swapped into place like a run's folder: a folder holding files jambi-sim
    # did not write (or edited since) is refused, never overwritten.
    from sim._version import __version__
    from sim.runner.staging import StagedOutput

    staged = out if isinstance(out, StagedOutput) else \
        StagedOutput(Path(out), note=f"jambi-sim evidence {evidence_path}")
    staged.write_text(f"{sid}_scenario.toml", prepared["scenario"])
    staged.write_text(f"{sid}_prior.json", json.dumps(
        {"study": sid, "scale": ev["study"]["scale"], "mapping": str(mapping_path),
         "parameters": prior}, indent=2) + "\n")
    staged.write_text(f"{sid}_experiment.toml", experiment_toml(ev, prior))
    head = ("| item | rating | confidence | sources | kinds | n | flags |\n"
            "|---|---|---|---|---|---|---|")
    rows = [f"| {r['item']} | {r['rating']} | {r['confidence']} | {r['sources']} | "
            f"{r['kinds']} | {r['n_sources']} | {r['flags']} |" for r in tri]
    staged.write_text(f"{sid}_triangulation.md", "\n".join([head, *rows]) + "\n")
    staged.write_json("summary.json", {"command": "evidence", "provenance": {
        "package_version": __version__, "evidence_file": str(evidence_path),
        "mapping_file": str(mapping_path), **(provenance or {}), "files": staged.files}})
    staged.finish()
    return {"prior": prior, "triangulation": tri, "scenario": prepared["scenario"]}


def build(evidence_path: Path, mapping_path: Path, out: Any, read: Any = None,
          provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check the evidence (:func:`prepare`), then write its files (:func:`write_evidence`)
    into ``out``; return the prior, the triangulation and the scenario."""
    return write_evidence(prepare(evidence_path, mapping_path, read), out, provenance)
