"""The staff console: a web application for support leads, support agents and admins, on a
port of its own (not the public chat's), bound to 127.0.0.1 unless CONSOLE_INTERFACE says
otherwise. It keeps its own tables (accounts, sessions, audit log) in the database of the
conversations, created and upgraded by Alembic migrations.

    python -m assistant.console serve [--port 8081]      # `make run` starts it
    python -m assistant.console create-user NAME --role admin   # `make staff-user`

Modules: store.py (the database and its migrations), accounts.py (accounts, passwords,
sessions, sign-in back-off, roles), audit.py (who did what, never message text), texts.py
(the console in Swedish and English), web.py (the pages, sessions and CSRF checks).
"""
