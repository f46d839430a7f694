"""The broken fixes of #18's "Why", one test per case (7 is `test_inserted_code_style.py`;
8 and 9, which hang or lose data only when run, are 2-process gloo jobs in
`tests/execution/test_distributed_fix_hazards.py`).

Each test states what the fix must do (or that it must not be offered) on the
smallest program that showed the break; each failed on the code before #18's
paired edits and preconditions.
"""

from __future__ import annotations

from support import codes, fix, lint

from ckptlint.rules.registry import lookup


def _rules(*names: str):  # type: ignore[no-untyped-def]
    return [lookup(name) for name in names]


def test_case_1_unwrapping_the_saved_state_dict_unwraps_the_resume_load_too() -> None:
    outcome = fix(
        """
        import os
        import torch
        import torch.nn as nn

        model = nn.DataParallel(nn.Linear(4, 2))
        if os.path.exists("last.pt"):
            ckpt = torch.load("last.pt", map_location="cpu", weights_only=True)
            model.load_state_dict(ckpt["model"])
        for epoch in range(3):
            torch.save({"model": model.state_dict(), "epoch": epoch}, "last.pt")
        """,
        rules=_rules("CKPT107"),
        unsafe=True,
    )
    assert '    model.module.load_state_dict(ckpt["model"])\n' in outcome.text
    assert '{"model": model.module.state_dict(), "epoch": epoch}' in outcome.text


def test_case_2_no_state_dict_fix_while_the_loader_uses_the_file_as_a_model() -> None:
    [found] = lint(
        """
        import torch
        import torch.nn as nn

        def sample(path):
            net = torch.load(path, map_location="cpu", weights_only=False)
            return net(torch.randn(1, 4))

        model = nn.Linear(4, 2)
        torch.save(model, "model.pt")
        print(sample("model.pt"))
        """,
        rules=_rules("CKPT101"),
    )
    assert found.fix is None
    assert "the load in `sample` uses what it loads as a model" in found.message


def test_case_3_weights_only_is_not_offered_for_a_file_that_holds_a_namespace() -> None:
    [found] = lint(
        """
        import argparse
        import torch

        def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("--resume", default="")
            args = parser.parse_args()
            if args.resume:
                ckpt = torch.load(args.resume, map_location="cpu")
                model.load_state_dict(ckpt["model"])
            torch.save({"model": model.state_dict(), "args": args}, "last.pt")
        """,
        rules=_rules("CKPT202"),
    )
    assert found.fix is None
    assert '`"args": args` (argparse.Namespace, from `parser.parse_args()`)' in found.message
    assert "store vars(args), a plain dict" in found.message


def test_case_3_the_advice_is_the_inspectors() -> None:
    from ckptlint.inspection.layouts import UNSAFE_GLOBAL_ADVICE
    from ckptlint.rules.loading.ckpt202_load_without_weights_only import ADVICE

    for refused, advice in ADVICE.items():
        if "." in refused:  # a class name the unpickler refuses, as `ckptlint inspect` names it
            assert UNSAFE_GLOBAL_ADVICE[refused] == advice


def test_case_4_an_added_entry_is_restored_and_nothing_reports_the_fix() -> None:
    source = """
        import os
        import torch
        import torch.nn as nn

        model = nn.Linear(4, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        scaler = torch.amp.GradScaler("cpu")
        start = 0
        if os.path.exists("last.pt"):
            ckpt = torch.load("last.pt", map_location="cpu", weights_only=True)
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            start = ckpt["epoch"] + 1
        for epoch in range(start, 3):
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, "last.pt")
        """
    outcome = fix(source, rules=_rules("CKPT104", "CKPT105", "CKPT205"), table={"runtime": True})
    assert '    if "scaler" in ckpt:\n        scaler.load_state_dict(ckpt["scaler"])\n' in outcome.text
    assert '    if "rng" in ckpt:\n        ckptlint.runtime.restore_rng_state(ckpt["rng"])\n' in outcome.text
    assert codes(outcome.text, rules=_rules("CKPT104", "CKPT105", "CKPT205")) == []


def test_case_5_no_barrier_on_every_step_for_a_periodic_save() -> None:
    [found] = lint(
        """
        import torch
        import torch.distributed as dist

        def train(model, loader, optimizer):
            dist.init_process_group("gloo")
            for step, batch in enumerate(loader):
                model(batch).sum().backward()
                optimizer.step()
                if dist.get_rank() == 0 and step % 10000 == 0:
                    torch.save({"model": model.state_dict()}, "ckpt.pt")
                if step % 10000 == 1:
                    model.load_state_dict(torch.load("ckpt.pt", map_location="cpu")["model"])

        train(build_model(), loader, optimizer)
        """,
        rules=_rules("CKPT302"),
    )
    assert found.fix is None


def test_case_5_the_barrier_goes_inside_the_periodic_condition() -> None:
    outcome = fix(
        """
        import torch
        import torch.distributed as dist

        def train(model, loader, optimizer):
            dist.init_process_group("gloo")
            for step, batch in enumerate(loader):
                if step % 10000 == 0:
                    if dist.get_rank() == 0:
                        torch.save({"model": model.state_dict()}, "ckpt.pt")
                    model.load_state_dict(torch.load("ckpt.pt", map_location="cpu")["model"])

        train(build_model(), loader, optimizer)
        """,
        rules=_rules("CKPT302"),
        unsafe=True,
        table={"runtime": True},
    )
    assert '                torch.save({"model": model.state_dict()}, "ckpt.pt")\n            ckptlint.runtime.barrier()\n' in outcome.text


SPAWNED = """
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    from torch.utils.data import DataLoader, DistributedSampler

    def worker(rank, world, dataset):
        dist.init_process_group("gloo", rank=rank, world_size=world)
        torch.manual_seed(0)
        loader = DataLoader(dataset, batch_size=8, {how})
        for x in loader:
            x.sum().backward()

    if __name__ == "__main__":
        mp.spawn(worker, args=(2, None), nprocs=2)
    """


def test_case_6_the_workers_of_each_rank_get_their_own_seed() -> None:
    outcome = fix(SPAWNED.format(how="sampler=DistributedSampler(dataset), num_workers=2"), rules=_rules("CKPT401"),
                  table={"runtime": True})
    assert "generator=ckptlint.runtime.make_generator(0 + rank)" in outcome.text


def test_case_6_a_loader_that_shuffles_itself_gets_no_seed_shared_by_every_rank() -> None:
    [found] = lint(SPAWNED.format(how="shuffle=True, num_workers=2"), rules=_rules("CKPT401"), table={"runtime": True})
    assert found.fix is None and "differ per rank" in found.message


def test_case_10_a_load_published_as_a_global_gets_no_safe_map_location() -> None:
    [found] = lint(
        """
        import torch

        STATE = None

        def load(path):
            global STATE
            STATE = torch.load(path)

        def restore(model, optimizer):
            model.load_state_dict(STATE["model"])
            optimizer.load_state_dict(STATE["optimizer"])
        """,
        rules=_rules("CKPT201"),
    )
    assert found.fix is not None and found.fix.applicability.value == "unsafe"


def test_case_11_an_explicit_choice_of_how_to_load_is_not_inverted() -> None:
    found = lint(
        """
        import torch

        def load_checkpoint(path, weights_only=True):
            if not weights_only:
                return torch.load(path, map_location="cpu")
            return torch.load(path, map_location="cpu", weights_only=True)
        """,
        rules=_rules("CKPT202"),
    )
    assert [d.fix for d in found] == [None]


def test_case_12_loads_and_saves_through_in_memory_buffers_are_no_checkpoints() -> None:
    assert codes(
        """
        import io
        import torch
        import torch.distributed as dist

        def broadcast_state(model):
            dist.init_process_group("gloo")
            buffer = io.BytesIO()
            torch.save(model.state_dict(), buffer)
            data = [buffer.getvalue()]
            dist.broadcast_object_list(data, src=0)
            model.load_state_dict(torch.load(io.BytesIO(data[0])))

        def receive(payload):
            buf = io.BytesIO(payload)
            return torch.load(buf)
        """,
        rules=_rules("CKPT201", "CKPT202", "CKPT301"),
    ) == []
