"""DataLoader facts: shuffling, workers, generator."""

from __future__ import annotations

from test_seeding import model_of


def _loaders(code: str):
    return model_of(code).dataloaders.calls


def test_shuffle_forms() -> None:
    loaders = _loaders(
        """
        from torch.utils.data import DataLoader, RandomSampler
        import torch.utils.data as tud
        flag = True
        a = DataLoader(ds, shuffle=True)
        b = DataLoader(ds, 8, flag)
        c = DataLoader(ds, shuffle=args.shuffle)
        d = tud.DataLoader(ds, sampler=RandomSampler(ds))
        e = DataLoader(ds, sampler=RandomSampler(ds, generator=g))
        f = DataLoader(ds)
        """
    )
    assert [l.shuffles for l in loaders] == [True, True, False, True, False, False]


def test_workers_generator_and_unpacking() -> None:
    loaders = _loaders(
        """
        from torch.utils.data import DataLoader
        a = DataLoader(ds)
        b = DataLoader(ds, num_workers=0)
        c = DataLoader(ds, num_workers=args.workers, generator=g, worker_init_fn=f)
        d = DataLoader(ds, **kwargs)
        """
    )
    assert [l.workers_literally_zero for l in loaders] == [True, True, False, True]
    assert [l.has_generator for l in loaders] == [False, False, True, False]
    assert loaders[2].has_worker_init_fn
    assert loaders[3].opaque
