"""Times as the agency's staff read them: Swedish time (CET, CEST in summer), whatever the
server's clock is set to. Dates typed into the console are Swedish dates."""
import datetime as dt
import logging

logger = logging.getLogger(__name__)

try:
    from zoneinfo import ZoneInfo

    ZONE: dt.tzinfo = ZoneInfo("Europe/Stockholm")
except Exception:  # no time-zone data on this machine (Debian: the tzdata package)
    logger.warning("No time-zone data for Europe/Stockholm: the console shows UTC.")
    ZONE = dt.timezone.utc


def shown(at: float) -> str:
    return dt.datetime.fromtimestamp(at, ZONE).strftime("%Y-%m-%d %H:%M")


def day_of(at: float) -> str:
    return dt.datetime.fromtimestamp(at, ZONE).strftime("%Y-%m-%d")


def today() -> dt.date:
    return dt.datetime.now(ZONE).date()


def start_of(day: dt.date) -> float:
    """The moment a day begins in Sweden (days of 23 and 25 hours included)."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=ZONE).timestamp()


def moment(value: str) -> float:
    """A Swedish date and time as typed (2026-12-01 14:30, or 2026-12-01T14:30 as a browser's
    date-and-time field sends it); ValueError if it is none, or one that does not exist."""
    written = value.strip().replace("T", " ")
    parsed = dt.datetime.strptime(written, "%Y-%m-%d %H:%M")
    if not 1970 <= parsed.year <= 2200:
        raise ValueError(value)
    local = parsed.replace(tzinfo=ZONE)
    # The hour skipped when summer time starts comes back from UTC as another hour.
    if dt.datetime.fromtimestamp(local.timestamp(), ZONE).replace(tzinfo=None) != parsed:
        raise ValueError(value)
    return local.timestamp()


def field_value(at: float) -> str:
    """As a browser's date-and-time field shows it."""
    return dt.datetime.fromtimestamp(at, ZONE).strftime("%Y-%m-%dT%H:%M")
