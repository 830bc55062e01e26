"""Blocking (never n², never cross-tenant), vetoes, no chaining, overrides, explanations."""

import numpy as np
import pandas as pd
import pytest

from crm_pipelines.core.matching.blocking import BLOCKING_KEYS, candidate_pairs
from crm_pipelines.core.matching.comparisons import NO_KEY, key_hash
from crm_pipelines.core.matching.clustering import cluster, components

from .conftest import frame, gid, person, resolve


def test_blocking_caps_block_sizes_and_stays_linear():
    # 600 records sharing one e-mail and one postal code: a naive block would be 179,700 pairs
    drafts = [person(str(k), f"Vorname{k % 50}", f"Name{k}", emails=[("work", "info@firma.de")], postal_code="10115")
              for k in range(600)]
    i, j, stats = candidate_pairs(frame(drafts), max_block_size=60)
    assert stats["dropped_blocks"] >= 1
    assert len(i) < 600 * 60
    assert (i < j).all()


def _pairs(drafts, key):
    i, j, _ = candidate_pairs(frame(drafts), keys={key: BLOCKING_KEYS[key]})
    return sorted(zip(i.tolist(), j.tolist()))


def test_a_record_with_two_emails_is_blocked_with_each_record_sharing_one_of_them():
    drafts = [person("1", "A", "Eins", emails=[("work", "a@x.de"), ("home", "b@y.de")]),
              person("2", "B", "Zwei", emails=[("work", "a@x.de")]),
              person("3", "C", "Drei", emails=[("home", "B@Y.de")]),
              person("4", "D", "Vier", emails=[("work", "c@z.de")])]
    assert _pairs(drafts, "email") == [(0, 1), (0, 2)]


def test_a_key_of_several_columns_needs_every_column_and_their_order():
    drafts = [person("1", "A", "Eins", street="Hauptstr. 1", postal_code="10115"),
              person("2", "B", "Zwei", street="Hauptstraße 1", postal_code="10115"),
              person("3", "C", "Drei", street="Hauptstraße", postal_code="10115"),  # no house number
              person("4", "D", "Vier", street="Hauptstraße", postal_code="10115"),
              person("5", "E", "Fünf", street="Hauptstraße 1", postal_code="10117")]
    assert _pairs(drafts, "street_postal") == [(0, 1)]
    # the same values in other columns are another key: Anna Müller in Köln, Anna Köln in Müller
    drafts = [person("1", "Anna", "Müller", city="Köln"), person("2", "Anna", "Köln", city="Müller"),
              person("3", "Andrea", "Mueller", city="Koeln")]
    assert _pairs(drafts, "last_first_initial") == [(0, 2)]


def test_blocking_refuses_cross_tenant_frames():
    drafts = [person("1", "Hans", "Müller", tenant="a", emails=[("work", "h@m.de")]),
              person("2", "Hans", "Müller", tenant="b", emails=[("work", "h@m.de")])]
    with pytest.raises(AssertionError):
        candidate_pairs(frame(drafts))
    with pytest.raises(ValueError):
        resolve(drafts)


def test_duplicates_merge_with_umlaut_and_phone_variants(base_people):
    drafts = base_people + [
        person("1", "Hans", "Müller", emails=[("work", "hans@mueller.de")], phones=[("mobile", "0171 1234567")]),
        person("a", None, None, source="ms365", full_name="Hans Mueller", emails=[("work", "Hans@Mueller.de")],
               phones=[("mobile", "+49 171 1234567")]),
    ]
    res = resolve(drafts)
    assert gid(res, "hero", "1") == gid(res, "ms365", "a")
    pair = res.pairs[(res.pairs.source_id_a.isin(["1", "a"])) & (res.pairs.source_id_b.isin(["1", "a"]))].iloc[0]
    assert pair.decision == "auto_merge"
    explanation = res.patterns.set_index("pattern_id").explanation[pair.pattern_id]
    assert '"email": {"level": "shared"' in explanation
    assert set(res.pairs.pattern_id) == set(res.patterns.pattern_id)  # every pair's pattern is explained, no more


def test_vetoes_vat_birthday_kind(base_people):
    drafts = base_people + [
        person("b1", "Anna", "Schmidt", emails=[("work", "anna@s.de")], birthday="1980-01-01"),
        person("b2", "Anna", "Schmidt", source="ms365", emails=[("work", "anna@s.de")], birthday="02.03.1975"),
        ContactDraft_org("o1", "Muster GmbH", "info@muster.de", "DE136695976"),
        ContactDraft_org("o2", "Muster GmbH", "info@muster.de", "DE811907980"),
        person("p1", "Info", "Muster", emails=[("work", "info@muster.de")], kind="person", parent_source_id="o1"),
    ]
    res = resolve(drafts)
    assert gid(res, "hero", "b1") != gid(res, "ms365", "b2")
    assert gid(res, "hero", "o1") != gid(res, "hero", "o2")
    assert gid(res, "hero", "p1") not in (gid(res, "hero", "o1"), gid(res, "hero", "o2"))
    decisions = set(res.pairs.decision)
    assert "veto:birthday" in decisions and "veto:vat_id" in decisions
    contact_person = res.golden_contacts.set_index("golden_id").loc[gid(res, "hero", "p1")]
    assert contact_person.parent_golden_id == gid(res, "hero", "o1")


def ContactDraft_org(sid, name, email, vat):
    from crm_pipelines.core.draft import ContactDraft
    return ContactDraft("t", "hero", sid, kind="organization", company_name=name, emails=[("work", email)], vat_id=vat)


def test_clustering_does_not_chain():
    # A-B strong, B-C strong, A-C in conflict → A and C never end up together
    conflict = lambda i, j: (np.minimum(i, j) == 0) & (np.maximum(i, j) == 2)
    labels, refused = cluster(3, np.array([0, 1]), np.array([1, 2]), np.array([20.0, 10.0]),
                              np.zeros(0, np.int64), np.zeros(0, np.int64), conflict,
                              (np.zeros(0, np.int64), np.zeros(0, np.int64)))
    assert labels[0] == labels[1] and labels[2] != labels[0]
    assert refused == [(1, 2)]
    assert list(components(4, np.array([0, 2]), np.array([1, 3]))) == [0, 0, 2, 2]


def test_no_chaining_end_to_end(base_people):
    # B shares an e-mail with A and a phone with C; A and C are different people (different birthdays)
    drafts = base_people + [
        person("A", "Max", "Weber", emails=[("work", "max@weber.de")], birthday="1970-01-01"),
        person("B", "Max", "Weber", source="ms365", emails=[("work", "max@weber.de")], phones=[("mobile", "0160 9999999")]),
        person("C", "Max", "Weber", source="monday", phones=[("mobile", "0160 9999999")], birthday="1990-09-09"),
    ]
    res = resolve(drafts)
    assert gid(res, "hero", "A") != gid(res, "monday", "C")


def test_overrides_must_and_cannot_link(base_people):
    drafts = base_people + [
        person("x", "Eva", "Klein", emails=[("work", "eva@klein.de")]),
        person("y", "Eva", "Klein", source="ms365", emails=[("work", "eva@klein.de")]),
        person("u", "Jonas", "Berg", phones=[("office", "030 1234567")]),
        person("v", "Lena", "Hof", source="monday", emails=[("work", "lena@hof.de")]),
    ]
    ov = pd.DataFrame([
        ("t", "hero", "x", "ms365", "y", "cannot_link", "different people", "steward", "2025-01-01"),
        ("t", "hero", "u", "monday", "v", "must_link", "same household account", "steward", "2025-01-01"),
    ], columns=["tenant_id", "source_a", "source_id_a", "source_b", "source_id_b", "kind", "reason", "created_by", "created_at"])
    res = resolve(drafts, overrides=ov)
    assert gid(res, "hero", "x") != gid(res, "ms365", "y")
    assert gid(res, "hero", "u") == gid(res, "monday", "v")
    methods = res.xref.set_index("source_id").link_method
    assert methods["u"] == "must_link" and methods["v"] == "must_link"
    assert {"must_link", "cannot_link"} <= set(res.pairs.decision)
    again = resolve(drafts, previous=res.state(), overrides=ov)
    assert gid(again, "hero", "x") != gid(again, "ms365", "y")


def test_similar_first_names_at_one_address_go_to_review_not_merge(base_people):
    """Hans and Hanna Keller at one address (a household): Jaro-Winkler 0.85 on the first name is a
    typo or a relative; the address confirms neither, so the pair is queued, not merged. The same
    pair sharing a personal e-mail address is one person."""
    home = dict(street="Lindenweg 4", postal_code="50667", city="Köln")
    household = base_people + [
        person("h1", "Hans", "Keller", emails=[("work", "hans@keller-bau.de")], **home),
        person("h2", "Hanna", "Keller", source="ms365", emails=[("personal", "hanna.keller@web.de")], **home),
    ]
    res = resolve(household)
    assert gid(res, "hero", "h1") != gid(res, "ms365", "h2")
    queued = res.review_queue[res.review_queue.source_id_a.isin(["h1", "h2"]) & res.review_queue.source_id_b.isin(["h1", "h2"])]
    assert len(queued) == 1 and '"address": {"level": "street_number_postal"' in queued.explanation.iloc[0]

    confirmed = base_people + [
        person("h1", "Hans", "Keller", emails=[("work", "hans@keller-bau.de")], **home),
        person("h2", "Hanna", "Keller", source="ms365", emails=[("work", "Hans@Keller-Bau.de")], **home),
    ]
    res = resolve(confirmed)
    assert gid(res, "hero", "h1") == gid(res, "ms365", "h2")


def test_a_key_hashes_the_same_through_its_distinct_values_and_in_any_subset():
    # the incremental cache keeps the full run's key hashes and compares them with a few records' own
    values = np.array(["10115", "Köln", "10115", "straße 1", "köln", "Köln", "ß", "10115"], dtype=object)
    direct, by_values = key_hash(values), key_hash(values, few_values=True)
    assert (direct == by_values).all()
    assert (key_hash(values[[1, 4]], few_values=True) == direct[[1, 4]]).all()
    assert direct[1] == direct[5] and direct[1] != direct[4] and len(set(direct.tolist())) == 5
    assert (direct != NO_KEY).all()


def test_a_pattern_explanation_is_the_json_of_each_compared_fields_level_and_weight():
    import json

    from crm_pipelines.core.matching.comparisons import COMPARISONS, LEVELS
    from crm_pipelines.core.matching.explain import pattern_explanations
    from crm_pipelines.core.matching.model import FSParams

    rng = np.random.default_rng(4)
    m = {c: list(rng.uniform(0.05, 0.9, len(LEVELS[c]))) for c in COMPARISONS}
    u = {c: list(rng.uniform(0.01, 0.5, len(LEVELS[c]))) for c in COMPARISONS}
    params = FSParams(m, u, 0.3)
    pats = np.array([[rng.integers(-1, len(LEVELS[c])) for c in COMPARISONS] for _ in range(40)]
                    + [[-1] * len(COMPARISONS)], dtype=np.int8)
    w = params.weights()
    for row, text in zip(pats, pattern_explanations(pats, params)):
        expected = {c: {"level": LEVELS[c][lv], "weight": round(float(w[c][lv]), 3)}
                    for c, lv in zip(COMPARISONS, row.tolist()) if lv >= 0}
        assert text == json.dumps(expected)  # the same text, field order included


def test_pairs_scored_already_are_looked_up_and_only_the_others_compared():
    from crm_pipelines.core.golden.resolve import compared

    n = 10
    known_codes = np.array([0 * n + 1, 2 * n + 3, 4 * n + 9], dtype=np.int64)  # (0,1), (2,3), (4,9)
    known_levels = np.array([[1, 1], [2, 2], [3, 3]], dtype=np.int8)
    known_veto = np.array([-1, 0, -1], dtype=np.int8)
    asked = []

    def compare(i, j):
        asked.append(list(zip(i.tolist(), j.tolist())))
        return np.stack([i, j], axis=1).astype(np.int8) + 50, np.full(len(i), 7, np.int8)

    i, j = np.array([2, 0, 5, 4, 9]), np.array([3, 6, 8, 9, 4])
    levels, veto = compared(compare, (known_codes, known_levels, known_veto), i, j, n)
    assert asked == [[(0, 6), (5, 8), (9, 4)]]  # (9, 4) is known only the other way round: compared
    assert levels.tolist() == [[2, 2], [50, 56], [55, 58], [3, 3], [59, 54]]
    assert veto.tolist() == [0, 7, 7, -1, 7]
    asked.clear()
    compared(compare, (known_codes, known_levels, known_veto), np.array([0, 4]), np.array([1, 9]), n)
    assert asked == []  # all known: nothing compared
