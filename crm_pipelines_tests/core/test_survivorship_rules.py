"""Survivorship rules field by field, called directly on canonical rows and their group codes:
every rule, its tie-breaks (source priority, most recent, smallest source id), missing values
never winning, and the provenance naming the winning record."""

import json

import numpy as np
import pandas as pd

from crm_pipelines.core.config import SurvivorshipConfig
from crm_pipelines.core.golden.survivorship import survive

from .conftest import frame, person


def _survive(drafts, groups, **config):
    rows = frame(drafts)
    codes = np.asarray(groups, dtype=np.int64)
    out = survive(rows, codes, int(codes.max()) + 1, SurvivorshipConfig(**config))
    return out


def test_most_frequent_takes_the_value_most_members_share_and_breaks_ties_by_source_priority():
    drafts = [person("1", "Anna", "Schmidt", source="monday"), person("2", "Anna", "Schmitt", source="lexware"),
              person("3", "Anna", "Schmidt", source="calcom"),
              # group 1: one each; lexware comes before monday in the default priority
              person("4", "Bernd", "Maier", source="monday"), person("5", "Bernd", "Meier", source="lexware")]
    out = _survive(drafts, [0, 0, 0, 1, 1])
    assert out["last_name"].tolist() == ["Schmidt", "Meier"]
    prov = json.loads(out["provenance"].iloc[0])
    assert prov["monday|1"]["last_name"] == "most_frequent"  # the first by priority among the two Schmidts


def test_most_complete_takes_the_longest_value():
    drafts = [person("1", "Hans", "Müller", source="lexware"), person("2", "Hans-Peter", "Müller", source="calcom")]
    assert _survive(drafts, [0, 0])["first_name"].tolist() == ["Hans-Peter"]


def test_most_recent_takes_the_newest_value_and_a_missing_one_never_wins():
    drafts = [person("1", "A", "B", source="lexware", city="Berlin", source_modified_at="2024-01-01T00:00:00Z"),
              person("2", "A", "B", source="calcom", city="Hamburg", source_modified_at="2024-06-01T00:00:00Z"),
              person("3", "A", "B", source="monday", source_modified_at="2024-12-01T00:00:00Z")]  # no city
    out = _survive(drafts, [0, 0, 0])
    assert out["city"].tolist() == ["Hamburg"]
    assert json.loads(out["provenance"].iloc[0])["calcom|2"]["city"] == "most_recent"


def test_source_priority_falls_to_the_next_source_when_the_first_has_no_value():
    drafts = [person("1", "A", "B", source="lexware"),  # no VAT id
              person("2", "A", "B", source="hero", vat_id="DE136695976"),
              person("3", "A", "B", source="monday", vat_id="DE811569869")]
    out = _survive(drafts, [0, 0, 0])
    assert out["vat_id"].tolist() == ["DE136695976"]
    # a configured priority for the field wins over the default one
    out = _survive(drafts, [0, 0, 0], field_source_priority={"vat_id": ["monday", "hero"]})
    assert out["vat_id"].tolist() == ["DE811569869"]


def test_equal_source_and_time_fall_back_to_the_smallest_source_id():
    drafts = [person("b7", "A", "B", source="hero", city="Köln", source_modified_at="2024-01-01T00:00:00Z"),
              person("a3", "A", "B", source="hero", city="Bonn", source_modified_at="2024-01-01T00:00:00Z")]
    out = _survive(drafts, [0, 0])
    assert out["city"].tolist() == ["Bonn"]
    assert json.loads(out["provenance"].iloc[0])["hero|a3"]["city"] == "most_recent"


def test_a_group_of_one_takes_its_record_as_it_is_and_a_field_nobody_has_stays_empty():
    drafts = [person("1", "Eva", "Lang", source="hero", city="Ulm"), person("2", "Eva", "Lang", source="monday")]
    out = _survive(drafts, [0, 1])
    assert out["city"].iloc[0] == "Ulm" and out["city"].isna().iloc[1]
    assert out["vat_id"].isna().all()
    assert json.loads(out["provenance"].iloc[0]) == {"hero|1": "all"}
    assert out["member_count"].tolist() == [1, 1]


def test_an_empty_text_never_wins_in_a_text_column_or_an_object_column():
    drafts = [person("1", "A", "B", source="lexware", city="Berlin"),  # lexware first in the default priority
              person("2", "A", "B", source="hero", city="Hamburg")]
    rows = frame(drafts)
    text = pd.StringDtype(na_value=np.nan)  # the project's text columns (NaN: missing)
    rows["vat_id"] = pd.array(["", "DE136695976"], dtype=text)
    rows["tax_number"] = pd.Series(["", "21/815/08150"], dtype=object, index=rows.index)  # a column of Python objects
    rows["salutation"] = pd.array([np.nan, "Frau"], dtype=text)
    assert isinstance(rows["vat_id"].dtype, pd.StringDtype) and rows["tax_number"].dtype == object
    out = survive(rows, np.zeros(2, dtype=np.int64), 1, SurvivorshipConfig())
    assert out[["vat_id", "tax_number", "salutation"]].iloc[0].tolist() == ["DE136695976", "21/815/08150", "Frau"]
    assert json.loads(out["provenance"].iloc[0])["hero|2"]["vat_id"] == "source_priority"
