"""Hydra/OmegaConf `_target_:` mappings read as calls (engine/configs.py)."""

from __future__ import annotations

import textwrap

from mlscorecard.audit import audit_snapshot
from mlscorecard.engine.configs import config_facts, config_uses
from mlscorecard.engine.python import Interest
from mlscorecard.heuristics import load_heuristics
from mlscorecard.snapshot import Snapshot

CONFIG = textwrap.dedent("""\
    defaults:
      - _self_
    trainer:
      _target_: lightning.pytorch.Trainer
      max_epochs: 10
      deterministic: true
    model:
      _target_: sklearn.ensemble.RandomForestClassifier
      random_state: 42
      learning_rate: 1e-3
      n_estimators: ${n}
    sampler:
      _target_: optuna.samplers.TPESampler
      _args_: [7]
    notes:
      _target_: not a dotted name
""")


def test_targets_become_uses_with_keywords_arguments_and_lines():
    interest = Interest(["lightning.pytorch.Trainer", "sklearn.ensemble.*", "optuna.samplers.TPESampler"],
                        {"random_state"})
    uses, problem = config_uses(CONFIG, interest)
    assert problem is None
    by_name = {u["name"]: u for u in uses}
    assert set(by_name) == {"lightning.pytorch.Trainer", "sklearn.ensemble.RandomForestClassifier",
                            "optuna.samplers.TPESampler"}
    trainer = by_name["lightning.pytorch.Trainer"]
    assert trainer["line"] == 4 and trainer["kws"] == {"max_epochs": "int", "deterministic": "bool"}
    assert trainer["kwv"]["deterministic"] is True
    forest = by_name["sklearn.ensemble.RandomForestClassifier"]
    assert forest["kws"] == {"random_state": "int", "learning_rate": "float", "n_estimators": "expr"}
    assert forest["kwl"] == {"random_state": 9}
    assert by_name["optuna.samplers.TPESampler"]["args"] == ["int"]
    assert by_name["optuna.samplers.TPESampler"]["argv"] == [7]


def test_nothing_wanted_nothing_recorded_and_no_target_no_parse():
    assert config_uses(CONFIG, Interest(["torch.optim.Adam"], set())) == ([], None)
    assert config_facts("name: x\n", Interest(["a.b"], set())) == (None, None)


def test_a_broken_config_with_targets_says_so():
    facts, problem = config_facts("a:\n  _target_: x.y\n  b: [unclosed\n", Interest(["x.y"], set()))
    assert facts is None and problem.startswith("instantiation config not read: invalid YAML at line")


def test_config_evidence_reaches_the_report_with_its_line():
    snap = Snapshot.from_files({
        "configs/callbacks/default.yaml": "ckpt:\n  _target_: lightning.pytorch.callbacks.ModelCheckpoint\n"
                                          "  save_last: true\n",
        "train.py": "print('train')\n",
    })
    result = audit_snapshot(snap, load_heuristics())
    evidence = [e for item in result.rubrics["robustness"].items.values() for e in item.evidence
                if e.rule == "recovery/checkpoint-callbacks"]
    assert [(e.path, e.line) for e in evidence] == [("configs/callbacks/default.yaml", 2)]
