"""Accounts, passwords, sessions, back-off and the audit log of the staff console, on SQLite and
PostgreSQL (assistant/console/)."""
import pytest
import sqlalchemy as sa

from assistant.console import accounts, audit
from assistant.console.accounts import ADMIN, AGENT, LEAD, AccountError, SessionLimits
from assistant.console.store import latest_revision, metadata, migrate, schema_version
from assistant.tracker_store import open_tracker_store
from tests.helpers import sqlite_endpoints

PASSWORD = "correct horse battery"
LIMITS = SessionLimits(idle_seconds=30 * 60, max_seconds=8 * 3600)


def refused(engine, username, password, now):
    with pytest.raises(AccountError) as error:
        accounts.sign_in(engine, username, password, now=now)
    return error.value.key


def test_the_migrations_make_the_tables_the_code_uses_and_run_again_as_a_no_op(engine):
    assert schema_version(engine) == latest_revision() == "0007"
    migrate(engine)
    assert schema_version(engine) == latest_revision()
    inspector = sa.inspect(engine)
    for table in metadata.sorted_tables:
        assert {c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}
    # The conversations' own table is in the same database.
    assert inspector.has_table("events")


def test_passwords_are_stored_as_argon2id_hashes_only(engine):
    accounts.create_account(engine, "anna", "Anna A", LEAD, PASSWORD)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT password_hash FROM console_users")).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize("username, display_name, role, password, key", [
    ("Anna Svensson", "Anna", LEAD, PASSWORD, "bad_username"),
    ("anna", " ", LEAD, PASSWORD, "bad_display_name"),
    ("anna", "Anna", "boss", PASSWORD, "bad_role"),
    ("anna", "Anna", LEAD, "short", "password_too_short"),
    ("anna", "Anna", LEAD, "anna-is-my-password", "password_has_username"),
])
def test_an_account_with_a_bad_field_is_refused_with_the_field_named(engine, username, display_name, role, password, key):
    with pytest.raises(AccountError) as error:
        accounts.create_account(engine, username, display_name, role, password)
    assert error.value.key == key and error.value.field
    assert accounts.all_accounts(engine) == []


def test_a_username_is_taken_once(engine):
    accounts.create_account(engine, "anna", "Anna", LEAD, PASSWORD)
    with pytest.raises(AccountError, match="username_taken"):
        accounts.create_account(engine, "ANNA ", "Anna Two", AGENT, PASSWORD)


def test_a_wrong_password_an_unknown_name_and_a_deactivated_account_look_the_same(engine):
    anna = accounts.create_account(engine, "anna", "Anna", LEAD, PASSWORD)
    accounts.create_account(engine, "admin", "Admin", ADMIN, PASSWORD)
    assert accounts.sign_in(engine, "anna", PASSWORD, now=1000) == anna
    assert refused(engine, "anna", "wrong password", 1000) == "wrong_credentials"
    assert refused(engine, "nobody", PASSWORD, 1000) == "wrong_credentials"
    accounts.set_active(engine, anna.id, False)
    assert refused(engine, "anna", PASSWORD, 1000) == "wrong_credentials"


def test_repeated_wrong_passwords_make_each_further_try_wait_longer(engine):
    accounts.create_account(engine, "anna", "Anna", LEAD, PASSWORD)
    now = 10_000.0
    for _ in range(accounts.FREE_ATTEMPTS):
        assert refused(engine, "anna", "guess", now) == "wrong_credentials"
    # Now even the right password waits, so guessing cannot go on at full speed.
    assert refused(engine, "anna", PASSWORD, now + 1) == "wait"
    now += accounts.FIRST_WAIT_SECONDS + 1
    assert refused(engine, "anna", "guess again", now) == "wrong_credentials"
    # The sixth failure waits twice as long as the fifth.
    assert refused(engine, "anna", PASSWORD, now + accounts.FIRST_WAIT_SECONDS + 1) == "wait"
    assert accounts.sign_in(engine, "anna", PASSWORD, now=now + 4 * accounts.FIRST_WAIT_SECONDS).username == "anna"
    # A success starts the count again.
    assert refused(engine, "anna", "guess", now + 5 * accounts.FIRST_WAIT_SECONDS) == "wrong_credentials"


def test_a_session_ends_when_idle_too_long_or_too_old_and_its_token_is_stored_hashed(engine):
    anna = accounts.create_account(engine, "anna", "Anna", LEAD, PASSWORD)
    token = accounts.start_session(engine, anna, now=0)
    with engine.connect() as connection:
        assert token not in {row[0] for row in connection.execute(sa.text("SELECT token_hash FROM console_sessions"))}
    assert accounts.session(engine, token, LIMITS, now=20 * 60).account == anna
    assert accounts.session(engine, token, LIMITS, now=45 * 60) is not None  # idle time started again at 20
    assert accounts.session(engine, token, LIMITS, now=76 * 60) is None  # 31 idle minutes
    busy = accounts.start_session(engine, anna, now=0)
    for minute in range(25, 8 * 60, 25):
        assert accounts.session(engine, busy, LIMITS, now=minute * 60) is not None
    assert accounts.session(engine, busy, LIMITS, now=8 * 3600 + 1) is None
    assert accounts.session(engine, "made-up", LIMITS, now=0) is None


@pytest.mark.parametrize("change", ["deactivate", "reset password"])
def test_deactivating_or_resetting_the_password_ends_every_session_at_once(engine, change):
    anna = accounts.create_account(engine, "anna", "Anna", AGENT, PASSWORD)
    tokens = [accounts.start_session(engine, anna, now=0) for _ in range(2)]
    if change == "deactivate":
        accounts.set_active(engine, anna.id, False)
    else:
        accounts.set_password(engine, anna.id, "a brand new pass phrase")
    assert all(accounts.session(engine, token, LIMITS, now=1) is None for token in tokens)


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(engine):
    admin = accounts.create_account(engine, "admin", "Admin", ADMIN, PASSWORD)
    with pytest.raises(AccountError, match="last_admin"):
        accounts.set_role(engine, admin.id, LEAD)
    with pytest.raises(AccountError, match="last_admin"):
        accounts.set_active(engine, admin.id, False)
    second = accounts.create_account(engine, "admin2", "Admin Two", ADMIN, PASSWORD)
    accounts.set_role(engine, admin.id, LEAD)
    assert accounts.find(engine, "admin").role == LEAD
    with pytest.raises(AccountError, match="last_admin"):
        accounts.set_active(engine, second.id, False)


def test_the_retention_job_deletes_old_audit_entries_and_expired_sessions(engine):
    anna = accounts.create_account(engine, "anna", "Anna", LEAD, PASSWORD)
    day = 24 * 3600
    audit.record(engine, "anna", audit.SIGNED_IN, now=1000 * day)
    audit.record(engine, "anna", audit.SIGNED_OUT, now=1300 * day)
    assert audit.delete_older_than(engine, 365, now=1400 * day) == 1
    assert [e.action for e in audit.entries(engine)[0]] == [audit.SIGNED_OUT]
    old, fresh = accounts.start_session(engine, anna, now=0), accounts.start_session(engine, anna, now=9 * 3600)
    assert accounts.delete_expired_sessions(engine, LIMITS, now=9 * 3600 + 60) == 1
    assert accounts.session(engine, fresh, LIMITS, now=9 * 3600 + 120) is not None
    assert accounts.session(engine, old, LIMITS, now=9 * 3600 + 120) is None


def test_the_audit_log_pages_newest_first(engine):
    for i in range(7):
        audit.record(engine, "anna", audit.SIGNED_IN, target=str(i), now=float(i))
    first, older = audit.entries(engine, 1, page_size=5)
    assert [e.target for e in first] == ["6", "5", "4", "3", "2"] and older
    second, older = audit.entries(engine, 2, page_size=5)
    assert [e.target for e in second] == ["1", "0"] and not older


def test_an_unknown_name_is_slowed_exactly_like_a_real_one(engine):
    accounts.create_account(engine, "anna", "Anna", LEAD, PASSWORD)
    for name in ("anna", "nobody"):
        outcomes = [refused(engine, name, "guess", 50_000.0) for _ in range(accounts.FREE_ATTEMPTS + 1)]
        assert outcomes == ["wrong_credentials"] * accounts.FREE_ATTEMPTS + ["wait"], name


def test_parallel_guesses_cannot_share_one_count(engine):
    from concurrent.futures import ThreadPoolExecutor

    accounts.create_account(engine, "anna", "Anna", LEAD, PASSWORD)
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _: refused(engine, "anna", "guess", 70_000.0), range(16)))
    assert outcomes.count("wrong_credentials") == accounts.FREE_ATTEMPTS
    assert outcomes.count("wait") == 16 - accounts.FREE_ATTEMPTS


def test_a_few_typos_an_hour_apart_lock_no_one_out(engine):
    accounts.create_account(engine, "anna", "Anna", LEAD, PASSWORD)
    for hour in range(10):
        assert refused(engine, "anna", "typo", hour * 3700.0) == "wrong_credentials"
    assert accounts.sign_in(engine, "anna", PASSWORD, now=10 * 3700.0).username == "anna"


def test_confirming_ones_password_is_slowed_like_signing_in(engine):
    anna = accounts.create_account(engine, "anna", "Anna", LEAD, PASSWORD)
    assert not any(accounts.confirm_password(engine, anna, "guess", now=1.0) for _ in range(accounts.FREE_ATTEMPTS))
    with pytest.raises(AccountError, match="wait"):
        accounts.confirm_password(engine, anna, PASSWORD, now=2.0)
    assert accounts.confirm_password(engine, anna, PASSWORD, now=1000.0)


def test_the_audit_retention_must_be_a_whole_number_of_days(monkeypatch):
    assert audit.retention_days({}) == 365
    assert audit.retention_days({"CONSOLE_AUDIT_RETENTION_DAYS": "90"}) == 90
    for bad in ("0", "-5", "a year", "1.5"):
        with pytest.raises(ValueError, match="CONSOLE_AUDIT_RETENTION_DAYS must be a whole number"):
            audit.retention_days({"CONSOLE_AUDIT_RETENTION_DAYS": bad})


def test_an_upgrade_keeps_the_accounts_made_before_it(tmp_path):
    engine = open_tracker_store(sqlite_endpoints(tmp_path)).engine
    migrate(engine, "0001")
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO console_users (username, display_name, role, password_hash, active, failed_sign_ins,"
            " blocked_until, created_at) VALUES ('anna', 'Anna', 'admin', :hash, 1, 3, 0, 0)"),
            {"hash": accounts._hasher.hash(PASSWORD)})
    migrate(engine)
    assert schema_version(engine) == latest_revision()
    assert accounts.sign_in(engine, "anna", PASSWORD).role == ADMIN


def test_control_characters_in_names_are_answered_not_stored(engine):
    """PostgreSQL refuses NUL in text: typed into a form, it must get the form's answer."""
    created = accounts.create_account(engine, "nora", "Nora\x00 N\u200bilsson", LEAD, PASSWORD)
    assert created.display_name == "Nora N ilsson"
    assert refused(engine, "nora\x00", "wrong password here", now=1000.0) == "wrong_credentials"
    assert refused(engine, "\x00", "wrong password here", now=1000.0) == "wrong_credentials"
