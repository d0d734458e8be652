"""Ingestion from files: dedupe, placement, narratives, and bad input."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from sejuk.monitoring.models import DedupeKey, Narrative, Post
from tests.monitoring.conftest import POSTS

GALUR = "31.71.08.1003"
TANAH_TINGGI = "31.71.08.1004"
KAMPUNG_RAWA = "31.71.08.1002"
JOHAR_BARU_KEC = "31.71.08"


def _post(pid: str) -> Post:
    return Post.objects.get(external_id=pid)


def test_it_ingests_every_fixture_post(ingest_fixture):
    result = ingest_fixture()
    assert result.errors == []
    assert result.ingested == 24 == Post.objects.count()
    assert result.duplicates == 0


def test_it_places_posts_by_coordinates_and_by_names_in_the_text(ingest_fixture):
    ingest_fixture()
    first = _post("1001")
    assert (first.kelurahan_id, first.located_by) == (GALUR, "gps")
    assert _post("2002").kelurahan_id == TANAH_TINGGI
    assert _post("2002").located_by == "text"
    assert _post("3001").kelurahan_id == KAMPUNG_RAWA
    # Only the kecamatan is named: the post is about the kecamatan.
    crowd = _post("4001")
    assert (crowd.kelurahan_id, crowd.area_kode) == (None, JOHAR_BARU_KEC)
    # Nothing to place: visible to the monitoring unit (the Polres of Jakarta Pusat).
    football = _post("5003")
    assert (football.area_kode, football.scope_kode) == ("", "31.71")


def test_near_duplicates_point_at_the_first_post(ingest_fixture):
    result = ingest_fixture()
    first = _post("1001")
    retweet, with_link, repeat = _post("1002"), _post("1003"), _post("1004")
    assert first.duplicate_of_id is None
    assert {retweet.duplicate_of_id, with_link.duplicate_of_id, repeat.duplicate_of_id} == {
        first.pk
    }
    # Copies by other accounts add reach; the author repeating himself does not.
    assert retweet.counted and with_link.counted
    assert not repeat.counted
    assert result.near_duplicates == 3
    # A different wording of the same rumour is not a duplicate.
    assert _post("1005").duplicate_of_id is None
    # Only originals are indexed for later near-duplicate lookups.
    assert not DedupeKey.objects.filter(post=retweet).exists()
    assert DedupeKey.objects.filter(post=first).count() == 16


def test_reingesting_the_same_file_changes_nothing(ingest_fixture):
    ingest_fixture()
    narratives = Narrative.objects.count()
    again = ingest_fixture()
    assert again.ingested == 0
    assert again.duplicates == 24
    assert Post.objects.count() == 24
    assert Narrative.objects.count() == narratives


def test_a_copy_arriving_later_joins_its_original(ingest_fixture, tmp_path):
    ingest_fixture()
    later = tmp_path / "later.jsonl"
    later.write_text(
        json.dumps(
            {"platform": "facebook", "id": "fb-9", "author": "grup_warga_jb",
             "time": "2024-11-24T12:00:00+07:00",
             "text": "Awas TPS 011 Galur katanya dipindah ke Jalan Topaz tanpa pengumuman, "
                     "jangan mau dibohongi panitia. Sebarkan ya"}
        ) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    result = ingest_fixture(later)
    copy = _post("fb-9")
    assert result.near_duplicates == 1
    assert copy.duplicate_of_id == _post("1001").pk
    assert copy.narrative_id == _post("1001").narrative_id


def test_similar_posts_form_one_narrative_and_others_do_not_join_it(ingest_fixture):
    ingest_fixture()
    sara = {_post(p).narrative_id for p in ("3001", "3002", "3003")}
    money = {_post(p).narrative_id for p in ("2001", "2002", "2003", "2004")}
    crowd = {_post(p).narrative_id for p in ("4001", "4002", "4003")}
    assert len(sara) == 1 and len(money) == 1 and len(crowd) == 1
    assert sara.isdisjoint(money) and sara.isdisjoint(crowd) and money.isdisjoint(crowd)
    assert _post("5003").narrative_id not in sara | money | crowd
    narrative = Narrative.objects.get(pk=money.pop())
    assert narrative.post_count == 4
    assert "sembako" in narrative.title


def test_a_narrative_keeps_its_identity_as_posts_join(ingest_fixture, tmp_path):
    ingest_fixture()
    nid = _post("2001").narrative_id
    more = tmp_path / "more.jsonl"
    more.write_text(
        json.dumps(
            {"platform": "twitter", "id": "t-77", "author": "pemantau_jb",
             "time": "2024-11-24T18:00:00+07:00",
             "text": "Bawaslu harus usut pembagian sembako tim paslon 2 di Tanah Tinggi, politik uang merusak pilkada"}
        ) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    ingest_fixture(more)
    assert _post("t-77").narrative_id == nid
    assert Narrative.objects.get(pk=nid).post_count == 5


def test_bad_lines_get_a_clear_error_and_good_lines_are_kept(db, tmp_path, capsys):
    good = json.dumps(
        {"platform": "twitter", "id": "ok-1", "author": "a", "time": "2024-11-24T08:00:00+07:00",
         "text": "Warga Galur diimbau tetap tenang menjelang pencoblosan"}
    )  # fmt: skip
    lines = [
        good.encode(),
        b"",
        b'{"platform": "twitter", "id": "x1", "author": "a", "time": "2024-11-24T08:00:00", "text": "caf\xe9 \xff"}',
        json.dumps(
            {
                "platform": "twitter",
                "id": "x2",
                "author": "a",
                "time": "2024-11-24T08:00:00",
                "text": "x" * (1024 * 1024),
            }
        ).encode(),  # fmt: skip
        json.dumps(
            {
                "platform": "twitter",
                "author": "a",
                "time": "2024-11-24T08:00:00",
                "txt": "wrong field name",
            }
        ).encode(),  # fmt: skip
        b'{"platform": "twitter", "id": "x4", "author": "a", "time": "kemarin", "text": "waktu salah"}',
        b"{not json",
        b"   ",
        json.dumps(
            {
                "platform": "twitter",
                "id": "ok-2",
                "author": "b",
                "time": "2024-11-24T09:00:00+07:00",
                "text": "Pasar Johar Baru ramai pagi ini",
            }
        ).encode(),  # fmt: skip
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(SystemExit) as exit_info:
        call_command("monitoring", "ingest", str(path))
    assert exit_info.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ingested"] == 2
    assert out["blank_lines"] == 2
    errors = {e["line"]: e["error"] for e in out["errors"]}
    assert set(errors) == {3, 4, 5, 6, 7}
    assert "UTF-8" in errors[3] and "0xe9" in errors[3]
    assert "at most 10,000" in errors[4]
    assert "unknown field(s) 'txt'" in errors[5] and "missing field(s) text" not in errors[5]
    assert "ISO 8601" in errors[6]
    assert "not valid JSON" in errors[7]
    assert set(Post.objects.values_list("external_id", flat=True)) == {"ok-1", "ok-2"}


def test_csv_files_are_ingested_too(db, tmp_path, capsys):
    path = tmp_path / "posts.csv"
    path.write_text(
        "platform,id,author,text,time,url,lat,lon,location\n"
        'tiktok,tt-1,jbvlog,"Suasana TPS di Galur sudah siap, warga tertib",2024-11-27T07:30:00+07:00,'
        "https://tiktok.example/v/1,-6.1762,106.8554,\n"
        "tiktok,tt-2,jbvlog,,2024-11-27T07:31:00+07:00,,,,\n"
        "tiktok,tt-3,jbvlog,Latitude tanpa longitude,2024-11-27T07:32:00+07:00,,-6.17,,\n",
        encoding="utf-8",
    )
    with pytest.raises(SystemExit):
        call_command("monitoring", "ingest", str(path))
    out = json.loads(capsys.readouterr().out)
    assert out["ingested"] == 1
    assert {e["line"]: e["error"] for e in out["errors"]} == {
        3: "missing field(s) text",
        4: "give both lat and lon, or neither",
    }
    assert Post.objects.get(external_id="tt-1").kelurahan_id == GALUR


def test_a_csv_with_wrong_columns_is_refused_whole(db, tmp_path, capsys):
    path = tmp_path / "posts.csv"
    path.write_text("platform,user,message,date\ntwitter,a,b,c\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        call_command("monitoring", "ingest", str(path))
    out = json.loads(capsys.readouterr().out)
    assert out["ingested"] == 0
    assert out["errors"][0]["line"] == 1
    assert "missing column(s) author, text, time" in out["errors"][0]["error"]
    assert "unknown column(s) 'user', 'message', 'date'" in out["errors"][0]["error"]


def test_ingest_writes_one_audit_entry(ingest_fixture):
    from sejuk.accounts.models import AuditEntry

    ingest_fixture()
    entry = AuditEntry.objects.filter(object_type="monitoring.post", action="import").get()
    assert entry.changes["ingested"] == 24


def test_fixture_file_is_the_one_documented():
    # The fixture is the format docs/monitoring.md describes: one object per line.
    rows = [json.loads(line) for line in POSTS.read_text(encoding="utf-8").splitlines()]
    assert all({"platform", "author", "text", "time"} <= set(r) for r in rows)
