"""Within ``only_new_objects`` the collector leaves alone what was made before, and only then."""

import gc

from aggregator.collector import on_new_objects, only_new_objects


class Node:
    def __init__(self):
        self.me = self  # a cycle: only the collector frees it


def test_objects_made_before_are_set_aside_within_and_put_back_after():
    before = gc.get_freeze_count()
    kept = [Node() for _ in range(10)]
    with only_new_objects():
        inside = gc.get_freeze_count()
        with only_new_objects():  # nested: still set aside, not put back by the inner one
            assert gc.get_freeze_count() == inside
        assert gc.get_freeze_count() == inside
    assert inside >= before + len(kept)
    assert gc.get_freeze_count() == before


def test_a_cycle_made_within_is_collected_within_and_one_made_before_after():
    def alive():
        return {id(o) for o in gc.get_objects() if isinstance(o, Node)}

    @on_new_objects
    def collect_within():
        within = Node()
        within_id = id(within)
        del within
        gc.collect()
        return within_id in alive()

    gc.disable()  # (no collection but those asked for here)
    try:
        made_before = Node()
        before_id = id(made_before)
        del made_before
        assert not collect_within()  # what the function made: collected as ever
        assert before_id in alive()  # what was there before: set aside while it ran
        gc.collect()
        assert before_id not in alive()  # and collected after
    finally:
        gc.enable()
