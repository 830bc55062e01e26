import numpy as np
import pandas as pd
import pytest

from crm_pipelines.core.arrays import filled, isin_codes, merged_order, pick, sorted_unique, stable_rank


@pytest.mark.parametrize("values", [[], [5], [3, 3, 3], [9, -1, 4, 9, 0, -1], list(range(10, 0, -1))])
def test_sorted_unique_equals_numpy_unique(values):
    a = np.asarray(values, dtype=np.int64)
    out = sorted_unique(a)
    assert out.dtype == a.dtype
    assert out.tolist() == np.unique(a).tolist()


def test_sorted_unique_on_many_random_codes_leaves_its_input_alone():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 10**12, 50_000)
    a = np.concatenate([a, a[:1000]])
    before = a.copy()
    assert np.array_equal(sorted_unique(a), np.unique(a))
    assert np.array_equal(a, before)


def test_isin_codes_searches_a_large_sorted_right_side():
    b = np.arange(0, 100_000, 2, dtype=np.int64)
    a = np.array([0, 1, 2, 99_998, 99_999, 123_456], dtype=np.int64)
    assert isin_codes(a, b).tolist() == [True, False, True, True, False, False]
    assert isin_codes(a, b[::-1]).tolist() == [True, False, True, True, False, False]  # unsorted: np.isin
    assert isin_codes(a, b[:0]).tolist() == [False] * 6


def test_stable_rank_orders_like_a_sorting_factorize_and_breaks_ties_by_position():
    values = ["b|2", "a|10", "b|2", "a|9", "", "a|10"]
    rank = stable_rank(values)
    assert sorted(rank.tolist()) == list(range(len(values)))
    assert [values[k] for k in np.argsort(rank)] == sorted(values)
    assert rank[1] < rank[5] and rank[0] < rank[2]  # equal values: the earlier row first
    codes = pd.factorize(np.asarray(values, dtype=object), sort=True)[0]
    assert np.array_equal(np.lexsort((rank,)), np.lexsort((codes,)))  # a stable lexsort: same order


@pytest.mark.parametrize("sizes", [(0, 0), (5, 0), (0, 5), (1000, 37), (37, 1000)])
def test_merged_order_is_the_stable_sort_of_two_sorted_arrays(sizes):
    rng = np.random.default_rng(sum(sizes))
    a = np.sort(rng.integers(0, 300, sizes[0]))
    b = np.sort(rng.integers(0, 300, sizes[1]))  # with values equal to some of a: a's come first
    expected = np.argsort(np.concatenate([a, b]), kind="stable")
    np.testing.assert_array_equal(merged_order(a, b), expected)
    unsorted = a[::-1].copy()  # not sorted: the plain stable sort
    np.testing.assert_array_equal(merged_order(unsorted, b), np.argsort(np.concatenate([unsorted, b]), kind="stable"))


@pytest.mark.parametrize("n_keys", [0, 1, 50, 5_000])
def test_isin_hashes_equals_np_isin_including_values_that_share_the_low_bits_of_a_key(n_keys):
    from crm_pipelines.core.arrays import isin_hashes

    rng = np.random.default_rng(n_keys)
    values = rng.integers(0, 2**63, 20_000, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    keys = np.concatenate([rng.choice(values, n_keys // 2), rng.integers(0, 2**63, n_keys - n_keys // 2, dtype=np.uint64)])
    # values equal to a key in every bit the bitmap looks at, and different above them
    twins = (keys[: min(len(keys), 20)] ^ np.uint64(1 << 40)).astype(np.uint64)
    values = np.concatenate([values, twins, np.zeros(3, np.uint64)])
    expected = np.isin(values, keys)
    assert np.array_equal(isin_hashes(values, keys), expected)
    assert expected.any() == (n_keys >= 2)  # some values are keys (half the keys are drawn from them)


def test_stable_rank_of_a_text_column_equals_that_of_its_values():
    values = ["b", "a", "c", "a", "b"]
    expected = stable_rank(values)
    assert expected.tolist() == [2, 0, 4, 1, 3]
    for column in (pd.Series(values, dtype="str"), pd.Series(values, dtype=object), pd.Index(values),
                   np.array(values, dtype=object)):
        assert stable_rank(column).tolist() == expected.tolist()


def test_filled_holds_one_shared_string_where_numpy_full_copies_it():
    stamp = "2025-01-01T00:00:00+00:00"
    out = filled(1000, stamp)
    assert out.dtype == object and out.tolist() == [stamp] * 1000
    assert len({id(v) for v in out}) == 1
    assert len({id(v) for v in np.full(1000, stamp, dtype=object)}) == 1000  # why filled exists
    assert filled(0, stamp).shape == (0,) and filled(3, None).tolist() == [None] * 3


def test_pick_takes_names_by_code_sharing_one_string_per_name():
    names = ("split_or_relinked", "new_record")
    out = pick(names, np.array([1, 0, 0, 1, 1]))
    assert out.dtype == object and out.tolist() == ["new_record", "split_or_relinked", "split_or_relinked",
                                                    "new_record", "new_record"]
    assert len({id(v) for v in out}) == 2
    assert pick(names, np.array([True, False])).tolist() == ["new_record", "split_or_relinked"]
    empty = pick(names, np.zeros(0, np.int64))
    assert empty.tolist() == [] and pd.Series(empty).dtype == pd.Series(np.where([], "a", "b")).dtype
