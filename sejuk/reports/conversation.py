"""The guided chat that takes a citizen report over WhatsApp or Telegram.

Channel-independent: the webhooks turn a provider's payload into an
``Incoming`` message, ``receive()`` handles it exactly once and sends the
replies through a ``Sender``. ``GuidedChat.handle(conversation, message)``
is the state machine itself: it returns the replies (Bahasa Indonesia) and
saves the conversation after every step, so it can be tested without HTTP.

The script::

    (any message) -> greeting + category menu (1-7)
    category      -> place: share a location, or type kelurahan/street/landmark
    place         -> description (at least 10 characters)
    description   -> photo: send one, or LEWATI
    photo         -> "Apakah identitas Anda boleh dicatat? Ya/Tidak"
    anonymity     -> actions.create_report(...) -> the ticket code

Steps are filled in order, but a location or photo is taken whenever it
arrives (people share their location first, or send three photos in a row);
a step already answered is skipped. At any point a ticket code shows the
public status, BATAL cancels, MENU/HALO/MULAI starts again, NILAI and BUKA
rate or reopen a closed report. Unknown message types get a polite answer.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from sejuk.accounts import ratelimit
from sejuk.lib import crypto
from sejuk.lib.images import ImageRejected, sanitize_image
from sejuk.reports import actions, senders
from sejuk.reports.api import LIMIT_MESSAGE
from sejuk.reports.models import (
    Agency,
    Category,
    Channel,
    Conversation,
    EventKind,
    InboundMessage,
    Report,
    Status,
)

log = logging.getLogger(__name__)

WIB = ZoneInfo("Asia/Jakarta")
IDLE = "start"
STEPS = ("category", "place", "description", "photo", "anonymity")
# A half-finished report is dropped after a day of silence (WhatsApp also only
# lets a business answer within 24 hours of the person's last message).
SESSION_TIMEOUT = dt.timedelta(hours=24)
MAX_PHOTOS = 3
KINDS = ("text", "location", "image", "other")


@dataclass(frozen=True)
class Incoming:
    """One message from a person, whatever the platform.

    ``sender`` is where replies go: the WhatsApp number (wa_id) or the
    Telegram chat id. ``message_id`` is unique per channel (the WhatsApp
    message id, the Telegram update id). For photos, ``image`` holds the bytes
    once fetched; ``media_id`` says what to fetch."""

    channel: str
    sender: str
    message_id: str
    kind: str = "text"
    text: str = ""
    lat: float | None = None
    lon: float | None = None
    place: str = ""  # name/address sent along with a location
    image: bytes | None = None
    media_id: str = ""
    name: str = ""  # profile name, recorded only if the reporter agrees
    raw_type: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.channel not in (Channel.WHATSAPP, Channel.TELEGRAM):
            raise ValueError(f"not a chat channel: {self.channel!r}")
        if not self.sender or not self.message_id:
            raise ValueError("sender and message_id are required")


# --- texts -----------------------------------------------------------------------

CATEGORY_MENU: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (Category.PROVOCATION, "Provokasi/penyebaran hoaks", ("provokasi", "hoaks", "hoax", "fitnah")),
    (Category.MONEY_POLITICS, "Politik uang", ("politik uang", "serangan fajar", "money politic")),
    (Category.INTIMIDATION, "Intimidasi", ("intimidasi", "ancaman", "diancam")),
    (Category.CROWD, "Kerumunan/bentrokan", ("kerumunan", "bentrokan", "bentrok", "tawuran", "ricuh")),
    (Category.VANDALISM, "Perusakan alat peraga kampanye", ("perusakan", "alat peraga", "apk", "baliho", "spanduk")),
    (Category.SARA, "Hasutan SARA", ("sara", "hasutan")),
    (Category.OTHER, "Lainnya", ("lainnya", "lain")),
)  # fmt: skip
CATEGORY_LABELS = {value: label for value, label, _ in CATEGORY_MENU}

STATUS_LABELS = {
    Status.RECEIVED: "Diterima, menunggu verifikasi petugas",
    Status.VERIFIED: "Sudah diverifikasi petugas",
    Status.REJECTED: "Tidak dapat ditindaklanjuti",
    Status.IN_FOLLOW_UP: "Sedang ditindaklanjuti petugas",
    Status.HANDED_OFF: "Diteruskan ke instansi lain",
    Status.RESOLVED: "Selesai",
}
AGENCY_LABELS = {
    Agency.BAWASLU: "Bawaslu/Panwascam",
    Agency.GAKKUMDU: "Sentra Gakkumdu",
    Agency.SATPOL_PP: "Satpol PP",
    Agency.UTILITY: "penyedia layanan (PLN, PAM, dan lainnya)",
    Agency.OTHER: "instansi lain",
}
EVENT_LABELS = {
    EventKind.CREATED: "Laporan diterima",
    EventKind.TRANSITION: "Status diperbarui",
    EventKind.NOTE: "Catatan petugas",
    EventKind.REROUTE: "Laporan dipindahkan ke wilayah yang tepat",
    EventKind.ASSIGN: "Petugas ditunjuk",
    EventKind.MERGE: "Digabung dengan laporan lain tentang kejadian yang sama",
    EventKind.UNMERGE: "Penggabungan dibatalkan",
    EventKind.HANDOFF: "Diteruskan ke instansi lain",
    EventKind.AGENCY_ACCEPTED: "Diterima oleh instansi terkait",
    EventKind.ESCALATION: "Dieskalasi ke pimpinan",
    EventKind.RATING: "Dinilai oleh pelapor",
    EventKind.REOPEN: "Dibuka kembali",
    EventKind.ARCHIVE: "Diarsipkan",
}

GREETING = (
    "Halo, terima kasih telah menghubungi layanan laporan warga Polri. "
    "Kami akan membantu Anda melapor dalam beberapa langkah singkat.\n"
    "Dalam keadaan darurat, segera telepon Call Center 110."
)
PROMPT_CATEGORY = (
    "Apa yang ingin Anda laporkan? Balas dengan nomornya:\n"
    + "\n".join(f"{i}. {label}" for i, (_v, label, _k) in enumerate(CATEGORY_MENU, 1))
    + "\n\nKetik BATAL kapan saja untuk membatalkan. Sudah punya kode tiket? "
    "Kirim kodenya untuk melihat status laporan."
)
PROMPT_PLACE = (
    "Di mana kejadiannya? Bagikan lokasi lewat tombol lampiran (📎) > Lokasi, "
    "atau ketik nama kelurahan, jalan, atau patokan terdekat "
    "(contoh: Jalan Topaz RT 05, Kelurahan Galur)."
)
PROMPT_DESCRIPTION = "Ceritakan apa yang terjadi: apa, siapa, dan kapan (minimal 10 karakter)."
PROMPT_PHOTO = "Ada foto kejadian? Kirim foto sekarang, atau ketik LEWATI jika tidak ada."
PROMPT_ANONYMITY = (
    "Apakah identitas Anda boleh dicatat? Balas Ya atau Tidak.\n"
    "Ya: nama dan {contact} dicatat agar petugas dapat menghubungi Anda; hanya petugas "
    "yang berwenang yang dapat melihatnya.\n"
    "Tidak: laporan dikirim tanpa identitas (anonim)."
)
UNSUPPORTED = (
    "Maaf, jenis pesan ini belum bisa kami proses. Silakan kirim pesan teks, lokasi, atau foto."
)
IDLE_HINT = (
    "Ketik MENU untuk membuat laporan baru, atau kirim kode tiket Anda "
    "untuk melihat status laporan."
)
HELP = (
    "Cara memakai layanan ini:\n"
    "- MENU: membuat laporan baru\n"
    "- kode tiket (contoh ACDF-HJ3K): melihat status laporan\n"
    "- NILAI <kode tiket> <1-5>: menilai laporan yang sudah selesai\n"
    "- BUKA <kode tiket> <alasan>: membuka kembali laporan yang sudah ditutup\n"
    "- BATAL: membatalkan laporan yang sedang diisi\n"
    "Dalam keadaan darurat, telepon Call Center 110."
)
CANCELLED = "Laporan dibatalkan dan data yang Anda kirim sudah dihapus. " + IDLE_HINT
NOTHING_TO_CANCEL = "Tidak ada laporan yang sedang diisi. " + IDLE_HINT
EXPIRED = "Laporan yang belum selesai sebelumnya sudah kedaluwarsa karena tidak ada balasan."
SORRY = (
    "Maaf, terjadi gangguan saat memproses pesan Anda. Silakan coba lagi beberapa saat lagi. "
    "Dalam keadaan darurat, telepon Call Center 110."
)
LOOKUP_LIMIT = "Terlalu banyak permintaan. Coba lagi sebentar lagi."
TICKET_NOT_FOUND = "Tiket {code} tidak ditemukan. Periksa kembali kode tiket Anda."

CANCEL_WORDS = {"batal", "batalkan", "cancel", "stop", "berhenti"}
RESTART_WORDS = {"menu", "halo", "hallo", "helo", "hai", "hi", "hello", "mulai", "mulai lagi", "start", "lapor"}  # fmt: skip
HELP_WORDS = {"bantuan", "help", "panduan"}
SKIP_WORDS = {"lewati", "lewat", "skip", "lanjut", "tidak", "tidak ada", "tdk", "gak ada", "ga ada", "nggak ada", "tanpa foto", "-"}  # fmt: skip
YES_WORDS = {"ya", "y", "iya", "iya boleh", "ya boleh", "yes", "boleh", "ok", "oke", "silakan", "1"}  # fmt: skip
NO_WORDS = {"tidak", "tdk", "t", "no", "n", "jangan", "tidak boleh", "anonim", "rahasia", "gak", "ga", "nggak", "enggak", "engga", "2"}  # fmt: skip


def _word(text: str) -> str:
    """'  Halo!! ' -> 'halo'; '/start@SejukBot xyz' -> 'start' (Telegram commands)."""
    word = re.sub(r"\s+", " ", (text or "").lower()).strip(" .,!?;:")
    if word.startswith("/"):
        word = word[1:].split(" ", 1)[0].split("@", 1)[0]
    return word


def _when(value: str | dt.datetime, fmt: str = "%d/%m/%Y %H:%M") -> str:
    at = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.astimezone(WIB).strftime(fmt) + " WIB"


# --- identities ------------------------------------------------------------------


def contact_for(channel: str, sender: str) -> str:
    """What the report records as the reporter's contact, if they agree."""
    if channel == Channel.WHATSAPP:
        return "+" + crypto.normalise_phone(sender)
    return f"telegram:{sender}"


def user_hash(channel: str, sender: str) -> str:
    return crypto.blind_index(
        f"{channel}:{senders.normalise_recipient(channel, sender)}", "conversation"
    )


def rate_key(channel: str, sender: str) -> str:
    """The per-phone report limit's bucket; shared with the web form and the API."""
    if channel == Channel.WHATSAPP:
        return f"report:phone:{actions.reporter_hash(contact_for(channel, sender))}"
    return f"report:phone:{crypto.blind_index(f'telegram:{sender}', 'reporter')}"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def client_key(channel: str, message_id: str) -> str:
    """Idempotency key for create_report (Report.client_key holds 64 characters)."""
    key = f"{channel}:{message_id}"
    return key if len(key) <= 64 else f"{channel}:{_digest(message_id)[: 63 - len(channel)]}"


# --- the state machine -----------------------------------------------------------


class GuidedChat:
    """``handle(conversation, message) -> replies``; saves the conversation."""

    def handle(self, conv: Conversation, msg: Incoming) -> list[str]:
        replies: list[str] = []
        if (
            conv.state != IDLE
            and conv.updated_at is not None
            and timezone.now() - conv.updated_at > SESSION_TIMEOUT
        ):
            self._reset(conv)
            replies.append(EXPIRED)
        replies += self._dispatch(conv, msg)
        conv.save()
        return replies

    # -- routing of one message --

    def _dispatch(self, conv: Conversation, msg: Incoming) -> list[str]:
        active = conv.state in STEPS
        if msg.kind == "text":
            word = _word(msg.text)
            if word in CANCEL_WORDS:
                if not active:
                    return [NOTHING_TO_CANCEL]
                self._reset(conv)
                return [CANCELLED]
            if word in RESTART_WORDS:
                return self._start(conv, msg)
            if word in HELP_WORDS:
                return [HELP] + self._resume(conv)
            first = word.split(" ", 1)[0]
            if first in ("nilai", "buka"):
                # Mid-report, only with a ticket code: "buka ..." may be a description.
                code, _rest = _take_ticket(msg.text.split()[1:])
                if code is not None or not active:
                    return self._reporter_action(conv, msg.text, first) + self._resume(conv)
            code = actions.normalise_ticket(msg.text)
            if code:
                if self._lookup_limited(conv):
                    return [LOOKUP_LIMIT]
                report = self._report(code)
                if report is not None or not active:
                    return [self._status(report, code)] + self._resume(conv)
        if msg.kind == "other":
            return [UNSUPPORTED, self._prompt(conv) if active else IDLE_HINT]
        if not active:
            return self._start(conv, msg)
        return self._step(conv, msg)

    def _resume(self, conv: Conversation) -> list[str]:
        return [self._prompt(conv)] if conv.state in STEPS else []

    def _start(self, conv: Conversation, msg: Incoming) -> list[str]:
        self._reset(conv)
        if ratelimit.count(rate_key(conv.channel, msg.sender), 86400) >= _per_day():
            return [LIMIT_MESSAGE]
        replies = [GREETING]
        if msg.kind == "location":
            replies.append(self._take_location(conv, msg))
        elif msg.kind == "image":
            replies.append(self._take_photo(conv, msg))
        conv.state = "category"
        replies.append(self._prompt(conv))
        return replies

    def _step(self, conv: Conversation, msg: Incoming) -> list[str]:
        if msg.kind == "location":
            return [self._take_location(conv, msg)] + self._advance(conv, msg)
        if msg.kind == "image":
            ack = self._take_photo(conv, msg)
            if conv.state == "photo" and msg.image is None:
                conv.data["photo_skipped"] = True  # could not download: go on without
            return [ack] + self._advance(conv, msg)
        handler = getattr(self, f"_on_{conv.state}")
        return handler(conv, msg)

    def _advance(self, conv: Conversation, msg: Incoming) -> list[str]:
        """Move to the first step not yet answered; file the report after the last."""
        step = next_step(conv.data)
        if step is None:
            return self._finish(conv, msg)
        conv.state = step
        return [self._prompt(conv)]

    def _prompt(self, conv: Conversation) -> str:
        if conv.state == "anonymity":
            contact = "nomor WhatsApp" if conv.channel == Channel.WHATSAPP else "akun Telegram"
            return PROMPT_ANONYMITY.format(contact=contact)
        return {
            "category": PROMPT_CATEGORY,
            "place": PROMPT_PLACE,
            "description": PROMPT_DESCRIPTION,
            "photo": PROMPT_PHOTO,
        }.get(conv.state, IDLE_HINT)

    @staticmethod
    def _reset(conv: Conversation) -> None:
        conv.state = IDLE
        conv.data = {}

    # -- the steps (text answers) --

    def _on_category(self, conv: Conversation, msg: Incoming) -> list[str]:
        category = parse_category(msg.text)
        if category is None:
            return ["Mohon balas dengan angka 1 sampai 7.\n\n" + PROMPT_CATEGORY]
        conv.data["category"] = category
        return self._advance(conv, msg)

    def _on_place(self, conv: Conversation, msg: Incoming) -> list[str]:
        text = " ".join(msg.text.split())
        if len(text) < 3:
            return [
                "Mohon sebutkan tempatnya lebih jelas, misalnya nama jalan dan kelurahan.\n\n"
                + PROMPT_PLACE
            ]
        if len(text) > 300:
            return ["Nama tempat terlalu panjang (maksimal 300 karakter). Mohon persingkat."]
        conv.data["address_text"] = text
        return self._advance(conv, msg)

    def _on_description(self, conv: Conversation, msg: Incoming) -> list[str]:
        text = msg.text.strip()
        if len(text) < 10:
            return [
                "Keterangannya terlalu singkat. Mohon ceritakan apa yang terjadi, "
                "minimal 10 karakter."
            ]
        if len(text) > 5000:
            return ["Keterangannya terlalu panjang (maksimal 5000 karakter). Mohon persingkat."]
        conv.data["description"] = text
        return self._advance(conv, msg)

    def _on_photo(self, conv: Conversation, msg: Incoming) -> list[str]:
        if _word(msg.text) in SKIP_WORDS:
            conv.data["photo_skipped"] = True
            return self._advance(conv, msg)
        return ["Kirim foto kejadian, atau ketik LEWATI jika tidak ada foto."]

    def _on_anonymity(self, conv: Conversation, msg: Incoming) -> list[str]:
        word = _word(msg.text)
        if word in YES_WORDS:
            conv.data["anonymous"] = False
        elif word in NO_WORDS:
            conv.data["anonymous"] = True
        else:
            return ["Mohon balas Ya atau Tidak.\n\n" + self._prompt(conv)]
        return self._advance(conv, msg)

    # -- locations and photos, taken at any step --

    def _take_location(self, conv: Conversation, msg: Incoming) -> str:
        lat, lon = msg.lat, msg.lon
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return "Maaf, lokasi yang dikirim tidak valid."
        conv.data["lat"], conv.data["lon"] = float(lat), float(lon)
        if msg.place and not conv.data.get("address_text"):
            conv.data["address_text"] = " ".join(msg.place.split())[:300]
        return "Lokasi diterima."

    def _take_photo(self, conv: Conversation, msg: Incoming) -> str:
        photos = conv.data.setdefault("photos", [])
        if msg.image is None:
            return (
                "Maaf, foto belum bisa kami terima saat ini. "
                "Laporan tetap bisa dilanjutkan tanpa foto."
            )
        if len(photos) >= MAX_PHOTOS:
            return f"Foto sudah cukup (paling banyak {MAX_PHOTOS}); foto ini tidak kami simpan."
        try:
            clean = sanitize_image(msg.image)
        except ImageRejected:
            return (
                "Maaf, file ini tidak dapat diterima sebagai foto. "
                "Kirim foto JPEG atau PNG yang jelas, atau ketik LEWATI."
            )
        # Kept as the cleaned JPEG (no EXIF/GPS) until the report is filed.
        photos.append(base64.b64encode(clean.data).decode("ascii"))
        return f"Foto diterima ({len(photos)}/{MAX_PHOTOS})."

    # -- filing the report --

    def _finish(self, conv: Conversation, msg: Incoming) -> list[str]:
        data = dict(conv.data)
        if ratelimit.hit(rate_key(conv.channel, msg.sender), 86400) > _per_day():
            self._reset(conv)
            return [LIMIT_MESSAGE]
        anonymous = bool(data["anonymous"])
        photos = []
        for item in data.get("photos", []):
            try:
                photos.append(base64.b64decode(item, validate=True))
            except (binascii.Error, ValueError):
                continue
        report_input = actions.ReportInput(
            channel=conv.channel,
            category=data["category"],
            description=data["description"],
            lat=data.get("lat"),
            lon=data.get("lon"),
            address_text=data.get("address_text", ""),
            anonymous=anonymous,
            reporter_name="" if anonymous else msg.name.strip()[:150],
            reporter_contact="" if anonymous else contact_for(conv.channel, msg.sender),
            photos=photos,
            client_key=client_key(conv.channel, msg.message_id),
        )
        try:
            report = actions.create_report(report_input)
        except actions.ReportError as exc:
            if set(exc.errors) != {"reporter_contact"}:
                return self._recover(conv, exc)
            # The contact validator knows phones and e-mail only, and refuses
            # Telegram ids under 8 digits: file the report without the contact
            # rather than lose it.
            log.warning("%s contact refused by create_report; filed without it", conv.channel)
            report = actions.create_report(replace(report_input, reporter_contact=""))
        self._reset(conv)
        # An anonymous report is not linked to the chat it came from.
        conv.report = None if anonymous else report
        return [receipt(report)]

    def _recover(self, conv: Conversation, exc: actions.ReportError) -> list[str]:
        log.info("report from %s refused: %s", conv.channel, exc)
        fields = {
            "category": ("category",),
            "description": ("description",),
            "location": ("lat", "lon", "address_text"),
            "address_text": ("lat", "lon", "address_text"),
            "reporter_contact": ("anonymous",),
        }
        for key in exc.errors:
            for name in fields.get(key, ("photos", "photo_skipped") if "photo" in key else ()):
                conv.data.pop(name, None)
        step = next_step(conv.data)
        if step is None:  # nothing we know how to ask again
            self._reset(conv)
            return [SORRY]
        conv.state = step
        return ["Maaf, ada data laporan yang perlu diperbaiki.", self._prompt(conv)]

    # -- ticket status and reporter actions --

    def _lookup_limited(self, conv: Conversation) -> bool:
        hits = ratelimit.hit(f"status:chat:{conv.user_hash}", 60)
        return hits > settings.SEJUK_STATUS_LOOKUPS_PER_MINUTE_IP

    @staticmethod
    def _report(code: str) -> Report | None:
        return Report.objects.filter(ticket=code).select_related("kelurahan", "merged_into").first()

    def _status(self, report: Report | None, code: str) -> str:
        if report is None:
            return TICKET_NOT_FOUND.format(code=code)
        return status_text(report)

    def _reporter_action(self, conv: Conversation, text: str, verb: str) -> list[str]:
        tokens = text.split()[1:]
        code, rest = _take_ticket(tokens)
        usage = (
            "Format: NILAI <kode tiket> <angka 1-5> [komentar], contoh: NILAI ACDF-HJ3K 5"
            if verb == "nilai"
            else "Format: BUKA <kode tiket> <alasan>, contoh: BUKA ACDF-HJ3K masih terjadi"
        )
        if code is None:
            return [usage]
        if self._lookup_limited(conv):
            return [LOOKUP_LIMIT]
        report = self._report(code)
        if report is None:
            return [TICKET_NOT_FOUND.format(code=code)]
        case = report.merged_into or report
        if verb == "nilai":
            if not rest or rest[0] not in ("1", "2", "3", "4", "5"):
                return [usage]
            if case.status != Status.RESOLVED or report.rating is not None:
                return [
                    f"Laporan {report.ticket} belum dapat dinilai: hanya laporan yang sudah "
                    "selesai, dan hanya sekali."
                ]
            actions.do_rate(report, int(rest[0]), " ".join(rest[1:]))
            return [
                f"Terima kasih atas penilaian Anda ({rest[0]}/5) untuk laporan {report.ticket}."
            ]
        reason = " ".join(rest).strip()
        if len(reason) < 3:
            return [usage]
        if not actions.can_reopen(report):
            return [
                f"Laporan {report.ticket} tidak dapat dibuka kembali: hanya laporan yang sudah "
                f"selesai atau ditolak, paling lambat {settings.SEJUK_REOPEN_DAYS} hari "
                "setelah ditutup."
            ]
        actions.do_reopen(report, reason[:2000])
        return [f"Laporan {report.ticket} dibuka kembali dan akan ditindaklanjuti petugas."]


def next_step(data: dict) -> str | None:
    """The first step of the script not answered yet, or None when all are."""
    done = {
        "category": "category" in data,
        "place": "lat" in data or bool(data.get("address_text")),
        "description": "description" in data,
        "photo": bool(data.get("photos")) or data.get("photo_skipped", False),
        "anonymity": "anonymous" in data,
    }
    return next((step for step in STEPS if not done[step]), None)


def _per_day() -> int:
    return settings.SEJUK_PUBLIC_REPORTS_PER_DAY_PHONE


def _take_ticket(tokens: list[str]) -> tuple[str | None, list[str]]:
    """'ACDF-HJ3K 5' or 'ACDF HJ3K 5' -> ('ACDF-HJ3K', ['5'])."""
    if tokens and (code := actions.normalise_ticket(tokens[0])):
        return code, tokens[1:]
    if len(tokens) >= 2 and (code := actions.normalise_ticket(tokens[0] + tokens[1])):
        return code, tokens[2:]
    return None, tokens


def parse_category(text: str) -> str | None:
    """'1', '1.', 'politik uang' -> the category; None if not understood."""
    word = _word(text)
    match = re.fullmatch(r"(\d{1,2})[.)]?", word)
    if match:
        n = int(match.group(1))
        return CATEGORY_MENU[n - 1][0] if 1 <= n <= len(CATEGORY_MENU) else None
    words = set(re.findall(r"\w+", word))
    for value, label, keywords in CATEGORY_MENU:
        if word == label.lower():
            return value
        for keyword in keywords:
            if (" " in keyword and keyword in word) or keyword in words:
                return value
    return None


def receipt(report: Report) -> str:
    lines = [
        "Terima kasih, laporan Anda sudah kami terima.",
        "",
        f"Kode tiket: {report.ticket}",
        "",
        "Simpan kode ini. Untuk melihat perkembangan laporan, kirim kode tiket ini "
        "ke chat ini kapan saja.",
    ]
    if report.kelurahan_id:
        lines.append(
            f"Lokasi: Kelurahan {report.kelurahan.nama.title()}. Laporan diteruskan ke "
            "Bhabinkamtibmas dan Polsek setempat."
        )
    else:
        lines.append(
            "Lokasinya belum dapat kami pastikan; laporan diteruskan ke Polres untuk dipilah."
        )
    if report.anonymous:
        lines.append("Laporan dicatat tanpa identitas Anda.")
    lines.append("Dalam keadaan darurat, telepon Call Center 110.")
    return "\n".join(lines)


def status_text(report: Report) -> str:
    """The reporter's view (actions.public_view): never internal notes."""
    view = actions.public_view(report)
    case = report.merged_into or report
    lines = [
        f"Status laporan {view['ticket']}: {STATUS_LABELS.get(view['status'], view['status_label'])}",
        f"Kategori: {CATEGORY_LABELS.get(report.category, view['category'])}",
        f"Diterima: {_when(view['received_at'])}",
    ]
    if view["kelurahan"]:
        lines.append(f"Kelurahan: {str(view['kelurahan']).title()}")
    if case.handed_to:
        lines.append(f"Diteruskan ke: {AGENCY_LABELS.get(case.handed_to, view['handed_to'])}")
    if view["resolution"]:
        lines.append(f"Penyelesaian: {view['resolution']}")
    events = view["events"][-3:]
    if events:
        lines.append("Perkembangan terakhir:")
        for event in events:
            kind = event["kind"]
            text = event["text"]
            # The creation event's note is the routing reason (for staff, in English).
            if kind == EventKind.CREATED or text == str(EventKind(kind).label):
                text = EVENT_LABELS.get(kind, text)
            lines.append(f"- {_when(event['at'], '%d/%m %H:%M')}: {text}")
    if view["can_rate"]:
        lines.append(f"Beri penilaian: balas NILAI {view['ticket']} <1-5> (5 = sangat baik).")
    if view["can_reopen"]:
        lines.append(f"Masalah belum selesai? Balas BUKA {view['ticket']} <alasan>.")
    return "\n".join(lines)


# --- handling a webhook message exactly once ----------------------------------------


def open_conversation(channel: str, sender: str) -> Conversation:
    """The sender's conversation, locked for this transaction (created if new)."""
    key = user_hash(channel, sender)
    conv = Conversation.objects.select_for_update().filter(channel=channel, user_hash=key).first()
    if conv is not None:
        return conv
    try:
        with transaction.atomic():
            return Conversation.objects.create(
                channel=channel, user_hash=key, user_enc=crypto.encrypt(sender), state=IDLE
            )
    except IntegrityError:  # the same person's other message created it just now
        return Conversation.objects.select_for_update().get(channel=channel, user_hash=key)


def _claim(msg: Incoming) -> bool:
    try:
        with transaction.atomic():
            InboundMessage.objects.create(channel=msg.channel, message_id=msg.message_id[:200])
    except IntegrityError:
        return False
    return True


def _send(sender: senders.Sender, msg: Incoming, replies: list[str], tag: str = "") -> None:
    base = f"reply:{msg.channel}:{_digest(msg.message_id)[:40]}{tag}"
    for i, text in enumerate(replies):
        sender.send(msg.channel, msg.sender, text, dedupe_key=f"{base}:{i}")


def receive(msg: Incoming, *, sender: senders.Sender | None = None) -> list[str] | None:
    """Handle one incoming message once and send the replies.

    Returns the replies, or None when the message was already handled (the
    providers redeliver until they get a 200, and sometimes after)."""
    if InboundMessage.objects.filter(channel=msg.channel, message_id=msg.message_id[:200]).exists():
        return None
    if msg.kind == "image" and msg.image is None and msg.media_id:
        # Downloaded before the transaction: no network call while rows are locked.
        msg = replace(msg, image=senders.fetch_media(msg.channel, msg.media_id))
    sender = sender or senders.get_sender()
    try:
        with transaction.atomic():
            if not _claim(msg):
                return None
            conv = open_conversation(msg.channel, msg.sender)
            replies = GuidedChat().handle(conv, msg)
            _send(sender, msg, replies)
        return replies
    except Exception:
        log.exception("%s message could not be handled", msg.channel)
    # Everything above was rolled back; say sorry once and do not try again
    # (the provider got a 200 and will not redeliver anyway).
    with transaction.atomic():
        if _claim(msg):
            _send(sender, msg, [SORRY], ":error")
    return [SORRY]
