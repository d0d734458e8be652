"""The guided chat as a state machine, without HTTP: steps, commands at any
point, persistence, expiry, ticket status, rating and reopening, sending once."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
import time_machine
from django.utils import timezone
from PIL import Image

from sejuk.reports import actions, conversation, senders
from sejuk.reports.api import LIMIT_MESSAGE
from sejuk.reports.conversation import GuidedChat, Incoming
from sejuk.reports.models import Conversation, InboundMessage, OutboundMessage, Report

WA = "6281234567890"
GALUR = "31.71.08.1003"
_ids = itertools.count(1)


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 90, 160)).save(buf, "JPEG")
    return buf.getvalue()


class Chat:
    """One person talking to the state machine directly."""

    def __init__(self, channel: str = "whatsapp", sender: str = WA):
        self.channel, self.sender = channel, sender
        self.machine = GuidedChat()

    @property
    def conv(self) -> Conversation:
        return conversation.open_conversation(self.channel, self.sender)

    def send(self, kind: str = "text", **fields) -> list[str]:
        msg = Incoming(
            channel=self.channel,
            sender=self.sender,
            message_id=f"wamid.test{next(_ids)}",
            kind=kind,
            name="Warga",
            **fields,
        )
        return self.machine.handle(self.conv, msg)

    def say(self, text: str) -> str:
        return "\n".join(self.send(text=text))


@pytest.fixture
def chat(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return Chat()


def file_report(chat: Chat, *, anonymous: str = "ya") -> Report:
    chat.say("halo")
    chat.say("2")
    chat.send("location", lat=-6.1762, lon=106.8554)
    chat.say("Ada pembagian amplop berisi uang di pos RW 02 malam ini.")
    chat.say("lewati")
    reply = chat.say(anonymous)
    report = Report.objects.get(channel="whatsapp")
    assert report.ticket in reply
    return report


def test_the_first_message_gets_the_greeting_and_the_seven_categories_in_order(chat):
    reply = chat.say("Selamat pagi")
    assert "Halo" in reply and "110" in reply
    labels = [
        "1. Provokasi/penyebaran hoaks",
        "2. Politik uang",
        "3. Intimidasi",
        "4. Kerumunan/bentrokan",
        "5. Perusakan alat peraga kampanye",
        "6. Hasutan SARA",
        "7. Lainnya",
    ]
    positions = [reply.index(label) for label in labels]
    assert positions == sorted(positions)
    assert chat.conv.state == "category"


def test_every_step_is_saved_so_a_new_process_continues_the_conversation(chat):
    chat.say("halo")
    chat.say("4")
    conv = Conversation.objects.get(channel="whatsapp")
    assert conv.state == "place" and conv.data == {"category": "crowd"}
    assert WA not in conv.user_enc and conv.user_hash  # the number is encrypted
    chat.say("Pasar Gembrong dekat Kelurahan Galur")
    conv.refresh_from_db()
    assert conv.state == "description"
    assert conv.data["address_text"] == "Pasar Gembrong dekat Kelurahan Galur"


def test_unknown_answers_get_a_polite_prompt_again(chat):
    chat.say("halo")
    assert "angka 1 sampai 7" in chat.say("9")
    assert "angka 1 sampai 7" in chat.say("entahlah")
    assert chat.conv.state == "category"
    chat.say("politik uang")
    assert chat.conv.data["category"] == "money_politics"
    assert "lebih jelas" in chat.say("x")
    chat.say("Jalan Percetakan Negara")
    assert "terlalu singkat" in chat.say("amplop")
    assert chat.conv.state == "description"
    chat.say("Ada pembagian amplop di warung kopi dekat masjid.")
    assert "LEWATI" in chat.say("bagaimana?")
    chat.say("lewati")
    assert "Ya atau Tidak" in chat.say("mungkin")
    assert chat.conv.state == "anonymity"


def test_batal_cancels_and_forgets_what_was_sent(chat):
    chat.say("halo")
    chat.say("1")
    chat.say("Jalan Topaz")
    reply = chat.say("BATAL")
    assert "dibatalkan" in reply
    conv = chat.conv
    assert conv.state == "start" and conv.data == {}
    assert "Tidak ada laporan yang sedang diisi" in chat.say("batal")
    assert not Report.objects.exists()


@pytest.mark.parametrize("word", ["menu", "Halo!", "mulai", "/start"])
def test_menu_halo_and_mulai_start_again_at_any_point(chat, word):
    chat.say("halo")
    chat.say("3")
    chat.say("Jalan Kramat Pulo")
    reply = chat.say(word)
    assert "1. Provokasi/penyebaran hoaks" in reply
    assert chat.conv.state == "category" and chat.conv.data == {}


def test_a_location_sent_first_is_kept_and_the_place_step_is_skipped(chat):
    replies = chat.send("location", lat=-6.1762, lon=106.8554, place="Pos RW 02")
    assert "Lokasi diterima." in replies and "2. Politik uang" in replies[-1]
    assert "Ceritakan apa yang terjadi" in chat.say("2")
    assert chat.conv.data["lat"] == -6.1762 and chat.conv.data["address_text"] == "Pos RW 02"


def test_a_location_in_the_middle_is_taken_and_the_question_repeated(chat):
    chat.say("halo")
    chat.say("1")
    chat.say("Jalan Topaz")
    replies = chat.send("location", lat=-6.1762, lon=106.8554)
    assert replies[0] == "Lokasi diterima." and "Ceritakan" in replies[1]


def test_a_complete_conversation_files_a_routed_report_and_answers_with_the_ticket(chat):
    report = file_report(chat)
    assert report.category == "money_politics" and report.kelurahan_id == GALUR
    assert report.assigned_officer.name == "Baktiar Emri"
    assert report.client_key.startswith("whatsapp:")
    ident = actions.reporter_identity(_staff("galur"), report)
    assert ident == {"anonymous": False, "name": "Warga", "contact": "+" + WA}
    conv = chat.conv
    assert conv.state == "start" and conv.data == {} and conv.report_id == report.pk


def test_an_anonymous_report_keeps_no_identity_and_is_not_linked_to_the_chat(chat):
    report = file_report(chat, anonymous="Tidak")
    assert report.anonymous and report.reporter_contact_enc == "" and report.reporter_hash == ""
    assert report.reporter_name_enc == ""
    assert chat.conv.report_id is None


def _staff(username):
    from sejuk.accounts.models import User

    return User.objects.get(username=username)


def test_a_ticket_code_shows_the_public_status_at_any_point(chat, make_report, galur):
    report = make_report()
    actions.do_verify(galur, report)
    actions.do_add_note(galur, report, "INTERNAL-SECRET", public=False)
    reply = chat.say(report.ticket.lower().replace("-", " "))
    assert report.ticket in reply and "Sudah diverifikasi petugas" in reply
    assert "Laporan Anda sudah diverifikasi petugas." in reply
    assert "INTERNAL-SECRET" not in reply
    assert "point in kelurahan" not in reply  # the routing reason is for staff
    # Mid-report, the status comes with the question that was pending.
    chat.say("halo")
    replies = chat.send(text=report.ticket)
    assert report.ticket in replies[0] and "1. Provokasi" in replies[1]
    assert chat.conv.state == "category"


def test_an_unknown_ticket_is_not_found(chat):
    assert "tidak ditemukan" in chat.say("ACDF-HJ3K")


def test_ticket_lookups_are_rate_limited(chat, settings):
    settings.SEJUK_STATUS_LOOKUPS_PER_MINUTE_IP = 2
    chat.say("ACDF-HJ3K")
    chat.say("ACDF-HJ3M")
    assert "Terlalu banyak permintaan" in chat.say("ACDF-HJ3N")


def test_a_resolved_report_can_be_rated_and_reopened_by_chat(chat, make_report, galur):
    report = make_report()
    actions.do_verify(galur, report)
    actions.do_resolve(galur, report, "Sudah ditertibkan bersama Satpol PP.")
    status = chat.say(report.ticket)
    assert "Selesai" in status and "Sudah ditertibkan" in status and "NILAI" in status
    assert "Terima kasih atas penilaian Anda (5/5)" in chat.say(
        f"nilai {report.ticket} 5 cepat sekali"
    )
    report.refresh_from_db()
    assert report.rating == 5 and report.rating_comment == "cepat sekali"
    assert "belum dapat dinilai" in chat.say(f"NILAI {report.ticket} 4")
    assert "dibuka kembali" in chat.say(f"BUKA {report.ticket} spanduknya dirusak lagi")
    report.refresh_from_db()
    assert report.status == "in_follow_up"


def test_reopening_an_open_report_is_refused_politely(chat, make_report):
    report = make_report()
    assert "tidak dapat dibuka kembali" in chat.say(f"buka {report.ticket} belum ditangani")
    assert "Format: NILAI" in chat.say("nilai")


def test_a_description_starting_with_buka_is_not_a_command(chat):
    chat.say("halo")
    chat.say("7")
    chat.say("Jalan Topaz")
    chat.say("Buka lapak judi di gang sebelah masjid tiap malam")
    assert chat.conv.data["description"].startswith("Buka lapak")


def test_unknown_message_types_get_a_polite_reply_and_the_question_again(chat):
    replies = chat.send("other", raw_type="sticker")
    assert replies[0].startswith("Maaf, jenis pesan ini belum bisa kami proses")
    assert "MENU" in replies[1]
    chat.say("halo")
    replies = chat.send("other", raw_type="audio")
    assert "belum bisa kami proses" in replies[0] and "1. Provokasi" in replies[1]


def test_photos_are_cleaned_and_a_refused_file_is_explained(chat):
    chat.say("halo")
    chat.say("1")
    chat.say("Jalan Topaz")
    chat.say("Ada selebaran hoaks ditempel di tiang listrik.")
    replies = chat.send("image", image=b"%PDF-1.7 not a photo")
    assert "tidak dapat diterima sebagai foto" in replies[0]
    assert chat.conv.state == "photo"
    replies = chat.send("image", image=jpeg())
    assert replies[0] == "Foto diterima (1/3)." and "identitas" in replies[1]
    # Photos that arrive in a burst are all kept, up to three.
    assert chat.send("image", image=jpeg())[0] == "Foto diterima (2/3)."
    chat.say("ya")
    report = Report.objects.get()
    assert report.photos.count() == 2


def test_a_photo_that_cannot_be_downloaded_lets_the_report_go_on(chat):
    chat.say("halo")
    chat.say("1")
    chat.say("Jalan Topaz")
    chat.say("Ada selebaran hoaks ditempel di tiang listrik.")
    replies = chat.send("image", image=None, media_id="MEDIA_ID")
    assert "foto belum bisa kami terima" in replies[0] and "identitas" in replies[1]


def test_a_half_finished_report_expires_after_a_day(chat):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        chat.say("halo")
        chat.say("1")
        traveller.shift(dt.timedelta(hours=25))
        replies = chat.send(text="Jalan Topaz")
    assert "kedaluwarsa" in replies[0] and "1. Provokasi" in replies[-1]
    assert chat.conv.state == "category"


def test_the_per_phone_limit_is_the_public_one_and_is_shared_with_the_api(chat, client, settings):
    settings.SEJUK_PUBLIC_REPORTS_PER_DAY_PHONE = 1
    r = client.post(
        "/api/v1/reports",
        {"category": "other", "description": "Ada keributan kecil di pasar tadi sore.",
         "reporter_contact": "0812-3456-7890"},
        content_type="application/json",
    )  # fmt: skip
    assert r.status_code == 201
    assert chat.say("halo") == LIMIT_MESSAGE
    assert chat.conv.state == "start"


def test_the_limit_is_checked_again_when_the_report_is_filed(chat, settings):
    settings.SEJUK_PUBLIC_REPORTS_PER_DAY_PHONE = 1
    file_report(chat)
    assert chat.say("halo") == LIMIT_MESSAGE
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "category"),
    [("1", "provocation"), ("2.", "money_politics"), ("ada serangan fajar", "money_politics"),
     ("Hasutan SARA", "sara"), ("tawuran", "crowd"), ("baliho dirobek", "vandalism"),
     ("8", None), ("0", None), ("apa ya", None)],
)  # fmt: skip
def test_categories_are_understood_by_number_or_by_name(text, category):
    assert conversation.parse_category(text) == category


def test_client_keys_fit_the_report_column_even_for_long_whatsapp_ids():
    long_id = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ4QjYwRjc0QkE1RjNGQTdCQQA=" * 2
    key = conversation.client_key("whatsapp", long_id)
    assert len(key) <= 64 and key.startswith("whatsapp:")
    assert key == conversation.client_key("whatsapp", long_id)
    assert conversation.client_key("telegram", "10000") == "telegram:10000"


# --- receive(): once, with the replies sent ---------------------------------------------


def incoming(text: str, message_id: str = "wamid.ONE") -> Incoming:
    return Incoming(channel="whatsapp", sender=WA, message_id=message_id, text=text)


def test_receive_sends_each_reply_once_even_if_the_message_comes_again(db):
    replies = conversation.receive(incoming("halo"))
    assert replies and len(replies) == 2
    assert senders.recorded("whatsapp") == [(WA, text) for text in replies]
    assert conversation.receive(incoming("halo")) is None
    assert OutboundMessage.objects.count() == 2
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"recorded"}
    row = OutboundMessage.objects.first()
    assert WA not in row.to_enc and "Halo" not in row.text  # encrypted at rest
    assert row.to_hash == senders.recipient_hash("whatsapp", "+62 812-3456-7890")


def test_a_failure_inside_the_machine_gives_an_apology_not_an_error(db, monkeypatch):
    def boom(self, conv, msg):
        raise RuntimeError("bug")

    monkeypatch.setattr(GuidedChat, "handle", boom)
    assert conversation.receive(incoming("halo")) == [conversation.SORRY]
    assert senders.recorded() == [(WA, conversation.SORRY)]
    assert InboundMessage.objects.filter(message_id="wamid.ONE").exists()
    assert conversation.receive(incoming("halo")) is None


def test_the_sender_never_sends_the_same_dedupe_key_twice(db):
    sender = senders.StoringSender()
    a = sender.send("telegram", "1111111", "satu", dedupe_key="k1")
    b = sender.send("telegram", "1111111", "dua", dedupe_key="k1")
    assert a.pk == b.pk and senders.recorded("telegram") == [("1111111", "satu")]
    with pytest.raises(ValueError):
        sender.send("sms", "0812", "x")
