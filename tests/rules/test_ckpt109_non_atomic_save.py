"""CKPT109 non-atomic-save (opt-in)."""

from __future__ import annotations

from support import codes, fix, lint

from ckptlint.fixes.model import Applicability
from ckptlint.rules.saving.ckpt109_non_atomic_save import NonAtomicSave

RULES = [NonAtomicSave]


def test_opt_in_only() -> None:
    code = 'import torch\nfor epoch in range(3):\n    torch.save({"a": 1}, "last.pt")\n'
    assert codes(code, table={"select": ["CKPT1"]}) == []
    assert codes(code, table={"select": ["CKPT109"]}) == ["CKPT109"]
    assert codes(code, table={"select": ["non-atomic-save"]}) == ["CKPT109"]


def test_fix_adds_the_import_once_and_is_unsafe_without_declared_runtime() -> None:
    code = """
        from torch import save
        for epoch in range(3):
            save({"epoch": epoch}, "last.pt")
            save({"epoch": epoch}, "also_last.pt")
        """
    found = lint(code, rules=RULES)
    assert [d.fix.applicability for d in found] == [Applicability.UNSAFE, Applicability.UNSAFE]  # type: ignore[union-attr]
    outcome = fix(code, rules=RULES, table={"runtime": True})
    assert outcome.text.count("import ckptlint.runtime") == 1
    assert outcome.text.count("ckptlint.runtime.atomic_save(") == 2
    assert codes(outcome.text, rules=RULES) == []


def test_paths_that_change_per_iteration_are_silent() -> None:
    assert codes(
        """
        import os
        import torch
        for epoch in range(3):
            torch.save({}, f"ckpt_{epoch}.pt")
            torch.save({}, os.path.join("out", "ckpt_%d.pt" % epoch))
        def save(state, step):
            torch.save(state, f"step_{step}.pt")
        for i, batch in enumerate(loader):
            torch.save({}, f"b{i}.pt")
        """,
        rules=RULES,
    ) == []


def test_file_objects_get_no_finding() -> None:
    assert codes(
        """
        import io
        import torch
        buffer = io.BytesIO()
        torch.save({}, buffer)
        with open("x.pt", "wb") as handle:
            torch.save({}, handle)
        """,
        rules=RULES,
    ) == []


def test_extra_arguments_get_no_fix() -> None:
    code = 'import torch\nwhile True:\n    torch.save({}, "a.pt", _use_new_zipfile_serialization=False)\n'
    [finding] = lint(code, rules=RULES)
    assert finding.fix is None


def test_runtime_atomic_save_is_a_save_for_content_rules_but_not_for_109() -> None:
    code = """
        import torch
        import torch.nn as nn
        from ckptlint.runtime import atomic_save
        def save_checkpoint(state, path):
            atomic_save(state, path)
        model = nn.Linear(2, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        save_checkpoint({"model": model.state_dict(), "epoch": 1}, "/ckpt/last.pt")  # absolute: not CKPT501
        """
    assert codes(code, table={"select": ["ALL"]}) == ["CKPT102"]


def test_path_from_a_parameter_outside_a_loop_is_the_callers_choice() -> None:
    # timm's CheckpointSaver: `_save(tmp_path)` then `os.rename(tmp_path, last_path)` in the caller.
    code = """
        import os
        import torch
        import torch.nn as nn
        class Saver:
            def __init__(self):
                self.model = nn.Linear(2, 2)
            def save_checkpoint(self, epoch):
                self._save("tmp.pth.tar", epoch)
                os.rename("tmp.pth.tar", "last.pth.tar")
            def _save(self, save_path, epoch):
                state = {"epoch": epoch, "state_dict": self.model.state_dict()}
                torch.save(state, save_path)
        def train(ckpt_path):
            for epoch in range(3):
                torch.save({"epoch": epoch}, ckpt_path)  # in a loop: overwritten
        """
    assert [d.span.line for d in lint(code, rules=RULES)] == [15]


def test_a_helper_whose_own_loop_overwrites_the_path_its_caller_passes() -> None:
    # fixtures/bad/ddp_amp_loop.py: `train(ckpt_path)` saves to `ckpt_path` every few steps, and
    # is called once; the path comes from the call, so the finding is the call's (catalog, "Save helpers").
    code = """
        import torch
        def train(ckpt_path):
            for epoch in range(3):
                torch.save({"epoch": epoch}, ckpt_path)
        def export(path):
            torch.save({"w": 1}, path)  # once per call, and called once
        train("last.pt")
        export("final.pt")
        """
    [found] = lint(code, rules=RULES)
    assert found.span.line == 7  # train("last.pt")
    # a path that names the helper's loop variable is a new file each time
    assert codes(code.replace("ckpt_path)\n", 'f"{ckpt_path}.{epoch}")\n', 1), rules=RULES) == []
    # a save after which the helper's loop always ends (a re-raise) writes once per call
    once = code.replace('torch.save({"epoch": epoch}, ckpt_path)', 'torch.save({"epoch": epoch}, ckpt_path)\n                raise Stop()')
    assert codes(once, rules=RULES) == []


def test_self_attribute_path_in_a_method_is_the_objects_own() -> None:
    # ultralytics' BaseTrainer.save_model: `torch.save(ckpt, self.last)` every epoch.
    assert codes(
        """
        import torch
        class Trainer:
            def save_model(self):
                torch.save({"epoch": 1}, self.last)
            def train(self):
                for epoch in range(self.epochs):
                    self.save_model()
        """,
        rules=RULES,
    ) == ["CKPT109"]


def test_a_save_that_runs_once_per_process_is_not_overwritten() -> None:
    # Catalog revision 2: a final export, or a method this file never calls in a loop.
    assert codes(
        """
        import torch
        torch.save({"a": 1}, "final.pt")
        class Trainer:
            def save_model(self):
                torch.save({"epoch": 1}, self.last)
        def export(state):
            torch.save(state, "export.pt")
        export({"w": 1})
        """,
        rules=RULES,
    ) == []


def test_a_helper_that_saves_in_two_branches_is_made_atomic_in_both() -> None:
    outcome = fix(
        """
        import torch

        class Trainer:
            def _save_model_state(self, path):
                if self.ddp is not None:
                    torch.save(self.ddp.state_dict(), path)
                else:
                    torch.save(self.model.state_dict(), path)

            def train(self):
                for epoch in range(3):
                    self._save_model_state("best.th")
        """,
        rules=RULES,
        unsafe=True,
    )
    assert outcome.text.count("ckptlint.runtime.atomic_save(") == 2 and "torch.save(" not in outcome.text


def _lines(code: str) -> list:
    return [d.span.line for d in lint(code, rules=RULES)]


FALLBACK_SAVE = """
    import torch

    class Loop:
        def train(self, failure_path):
            for epoch in range(10):
                try:
                    self.step()
                except RuntimeError as e:
                    if failure_path:
                        torch.save(self.state(), "failure.pt")
                    {after}
                torch.save(self.state(), "last.pt")
    """


def test_a_save_after_which_the_iteration_always_leaves_the_loop_runs_once() -> None:
    # the handler re-raises (or returns, or exits the process): the fallback save runs once per run
    assert _lines(FALLBACK_SAVE.format(after="raise e")) == [12]
    assert _lines(FALLBACK_SAVE.format(after="return None")) == [12]
    assert _lines(FALLBACK_SAVE.replace("import torch", "import sys\n    import torch").format(after="sys.exit(1)")) == [13]
    # a conditional re-raise, or a `continue`, goes on to the next epoch: both saves overwrite
    assert _lines(FALLBACK_SAVE.format(after="if fatal(e): raise e")) == [10, 12]
    assert _lines(FALLBACK_SAVE.format(after="continue")) == [10, 12]
    # a raise that a handler inside the loop catches goes on to the next epoch too
    caught = """
        import torch
        for epoch in range(10):
            try:
                torch.save({"epoch": epoch}, "last.pt")
                raise Done()
            except Done:
                pass
        """
    assert _lines(caught) == [4]


def test_a_break_leaves_only_the_loop_it_belongs_to() -> None:
    retry = """
        import torch
        for attempt in range(3):
            try:
                torch.save({"w": 1}, "last.pt")
                break
            except OSError:
                pass
        """
    assert _lines(retry) == []  # the first write that succeeds ends the loop: written once
    in_epochs = """
        import torch
        for epoch in range(10):
            for attempt in range(3):
                torch.save({"epoch": 1}, "last.pt")
                break
        """
    assert _lines(in_epochs) == [4]  # the epoch loop runs the retry loop again


STAGES = """
    import torch

    def export(model, swas, stages):
        for swa_eval in swas:
            load_stage(model, swa_eval)
            if swa_eval:
                path = "stage_two.model"
            else:
                path = "stage_one.model"
            torch.save(model, path)
            {saves}
    """


def test_a_branch_the_loop_variable_selects_runs_once_per_value() -> None:
    # `if swa_eval:` (a flag) picks a new path each iteration, and a save in either branch runs
    # once; so does the branch of `stage == "final"` (the values a loop iterates are distinct)
    saves = """if swa_eval:
                torch.save(model, "swa.model")
            else:
                torch.save(model, "plain.model")"""
    assert _lines(STAGES.format(saves=saves)) == []
    assert _lines(FINAL.format(around="if True:")) == []


FINAL = """
    import torch

    def finish(model, stages, epochs):
        {around}
            for stage in stages:
                if stage == "final":
                    torch.save(model, "final.model")
                if not stage != "best":
                    torch.save(model, "best.model")
    """


def test_a_loop_around_the_selecting_loop_runs_its_branch_again() -> None:
    assert _lines(FINAL.format(around="for epoch in range(epochs):")) == [7, 9]


def test_a_branch_that_many_iterations_take_still_overwrites() -> None:
    saves = """for stage in stages:
                if stage != "final":
                    torch.save(model, "not_final.model")
                if stage.is_best:
                    torch.save(model, "best.model")
                if stage == other:
                    torch.save(model, "other.model")"""
    assert _lines(STAGES.format(saves=saves)) == [13, 15, 17]
    # a path only one branch assigns keeps its last value in the other iterations
    one_branch = STAGES.format(saves="pass").replace("""            else:
                path = "stage_one.model"
""", "")
    assert _lines(one_branch) == [8]
    chosen_by_attribute = STAGES.format(saves="pass").replace("if swa_eval:", "if swa_eval.enabled:")
    assert _lines(chosen_by_attribute) == [10]


CACHE = """
    import os
    import torch

    def features(examples, path, reprocess):
        if os.path.exists(path) and not reprocess:
            data = torch.load({loaded})
        else:
            data = [convert(e) for e in examples]
            torch.save(data, path)
        return data

    for epoch in range(10):
        train(features(examples, "cache/train.pt", reprocess=False))
    """


def test_a_cache_the_other_branch_loads_is_not_a_checkpoint() -> None:
    assert _lines(CACHE.format(loaded="path")) == []
    # the other branch loads another file: the save overwrites its path each epoch
    assert _lines(CACHE.format(loaded='path + ".old"')) == [13]  # at the helper's call


TRAINER = """
    import torch
    {imports}

    class NetworkTrainer:
        def save_checkpoint(self, fname):
            torch.save({{"state_dict": self.network.state_dict(), "epoch": self.epoch}}, fname)

        def on_epoch_end(self):
            if self.epoch % self.save_every == 0:
                self.save_checkpoint(join(self.output_folder, "model_latest.model"))

        def run_training(self):
            while self.epoch < self.max_num_epochs:
                self.train_epoch()
                self.on_epoch_end()
                self.epoch += 1
    """


def test_a_path_joined_by_a_library_that_reexports_os_path_join() -> None:
    # nnU-Net's trainers: `join` of batchgenerators is `os.path.join` (imported by name or by `*`)
    module = "batchgenerators.utilities.file_and_folder_operations"
    for imports in (f"from {module} import join", f"from {module} import *", "from os.path import join"):
        assert _lines(TRAINER.format(imports=imports)) == [10], imports
    # an unknown library's `join` may return anything (a file object): silent
    assert _lines(TRAINER.format(imports="from mylib.files import *")) == []
    assert _lines(TRAINER.format(imports="from mylib.files import join")) == []


def test_a_save_helper_of_another_module_is_reported_without_a_fix() -> None:
    # Rewriting the call `save_checkpoint(...)` into `atomic_save(...)` would drop the helper's
    # other work (here: its log line); the write to make atomic is in utils.py.
    code = """
        from utils import save_checkpoint

        def main(model):
            for epoch in range(10):
                save_checkpoint({"model": model.state_dict()}, "last.pt")
        """
    utils = {"utils.py": "import torch\n\ndef save_checkpoint(state, path):\n    print('saving')\n    torch.save(state, path)\n"}
    [found] = lint(code, rules=RULES, modules=utils)
    assert (found.span.line, found.fix) == (5, None)
    assert "atomic_save" not in fix(code, rules=RULES, modules=utils, unsafe=True).text
