"""Python's cycle collector paused for a block, and running again after it."""

import gc

import pytest

from friendlygov.memory import collector_paused


def test_the_collector_runs_again_after_the_block_even_when_it_fails():
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()


def test_a_nested_block_leaves_the_collector_paused_until_the_outer_one_ends():
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
