"""In-memory buffers and broadcast objects (semantic/facts/buffers.py): no checkpoint file."""

from __future__ import annotations

from support import build_model


def loads_from_buffer(code: str) -> list:
    model = build_model(code)
    return [model.buffers.loads_from_buffer(site.node) for site in model.calls_to("torch.load")]


def test_buffers_and_files() -> None:
    assert loads_from_buffer(
        """
        import io
        import torch

        def receive(payload, path, rank):
            a = torch.load(io.BytesIO(payload))
            with io.BytesIO(payload) as stream:
                b = torch.load(stream)
            buffer = io.BytesIO(payload) if rank == 0 else None
            f = torch.load(buffer)
            if rank == 0:
                chosen = io.BytesIO(payload)
            else:
                chosen = None
            c = torch.load(chosen)
            d = torch.load(path)
            if rank == 0:
                mixed = io.BytesIO(payload)
            else:
                mixed = path
            e = torch.load(mixed)
        """
    ) == [True, True, True, True, False, False]


def test_a_broadcast_object_is_a_buffer_only_after_the_broadcast() -> None:
    assert loads_from_buffer(
        """
        import torch
        import torch.distributed as dist

        def receive(objects):
            early = torch.load(objects[0])
            dist.broadcast_object_list(objects, src=0)
            late = torch.load(objects[0])
            received = objects[0]
            also = torch.load(received)
        """
    ) == [False, True, True]


def test_a_buffer_is_no_checkpoint_load_or_save() -> None:
    model = build_model(
        """
        import io
        import torch

        buffer = io.BytesIO()
        torch.save(model.state_dict(), buffer)
        state = torch.load(io.BytesIO(buffer.getvalue()))
        torch.save(model.state_dict(), "last.pt")
        """
    )
    assert [model.code(s.call) for s in model.saves.sites] == ['torch.save(model.state_dict(), "last.pt")']
    assert model.resume.loads == ()
