"""Schema migrations, applied in order; ``PRAGMA user_version`` records the last one.

Append new migrations; never edit an applied one.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the initial schema
    """
    CREATE TABLE inbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,            -- "<connector>:<natural key>": the dedupe key
        channel TEXT NOT NULL,
        kind TEXT NOT NULL,
        thread TEXT NOT NULL,               -- "<channel>:<thread>": order is kept per thread
        sender TEXT NOT NULL,
        body TEXT NOT NULL,                 -- Event JSON
        state TEXT NOT NULL DEFAULT 'pending',  -- pending | processing | done | quarantined
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at REAL NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        done_at REAL
    );
    CREATE INDEX inbox_state ON inbox(state, seq);
    CREATE INDEX inbox_thread ON inbox(thread, seq);

    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,           -- idempotency key
        event_id TEXT NOT NULL,
        connector TEXT NOT NULL,
        op TEXT NOT NULL,
        payload TEXT NOT NULL,
        thread TEXT NOT NULL DEFAULT '',
        recipient TEXT NOT NULL DEFAULT '',
        autonomous INTEGER NOT NULL DEFAULT 1,  -- 0 when the owner approved it
        escalation_id INTEGER,
        state TEXT NOT NULL DEFAULT 'pending',  -- pending | sending | sent | failed
        in_doubt INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at REAL NOT NULL DEFAULT 0,
        receipt TEXT NOT NULL DEFAULT '',
        last_error TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        sent_at REAL
    );
    CREATE INDEX outbox_state ON outbox(state, next_at, seq);
    CREATE INDEX outbox_thread ON outbox(thread, created_at);
    CREATE INDEX outbox_recipient ON outbox(recipient, created_at);

    CREATE TABLE escalations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        event_id TEXT NOT NULL,
        thread TEXT NOT NULL,
        rule TEXT NOT NULL DEFAULT '',
        question TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        options TEXT NOT NULL,              -- JSON list of labels
        option_actions TEXT NOT NULL,       -- JSON list of lists of actions
        default_option INTEGER,
        event TEXT NOT NULL,                -- the paused event, JSON
        nonce TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open', -- open | answered | defaulted | cancelled
        created_at REAL NOT NULL,
        deadline REAL NOT NULL,
        reminders_sent INTEGER NOT NULL DEFAULT 0,
        answer TEXT NOT NULL DEFAULT '',
        answered_via TEXT NOT NULL DEFAULT '',
        answered_at REAL
    );
    CREATE INDEX escalations_state ON escalations(state, deadline);

    CREATE TABLE prompt_refs (
        connector TEXT NOT NULL,
        ref TEXT NOT NULL,
        escalation_id INTEGER NOT NULL,
        PRIMARY KEY (connector, ref)
    );

    CREATE TABLE timers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        due_at REAL NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending'   -- pending | fired | cancelled
    );
    CREATE INDEX timers_due ON timers(state, due_at);

    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        event_id TEXT NOT NULL,
        channel TEXT NOT NULL DEFAULT '',
        sender TEXT NOT NULL DEFAULT '',
        subject TEXT NOT NULL DEFAULT '',
        rule TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL,
        reasons TEXT NOT NULL DEFAULT '[]',
        actions TEXT NOT NULL DEFAULT '[]',
        blocked TEXT NOT NULL DEFAULT '[]',
        llm_calls INTEGER NOT NULL DEFAULT 0,
        tokens_in INTEGER NOT NULL DEFAULT 0,
        tokens_out INTEGER NOT NULL DEFAULT 0,
        duration_ms REAL NOT NULL DEFAULT 0
    );
    CREATE INDEX audit_at ON audit(at);

    CREATE TABLE memory (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        subject TEXT NOT NULL,
        fact TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        UNIQUE (subject, fact)
    );

    CREATE TABLE negotiations (
        thread TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        updated_at REAL NOT NULL
    );

    CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
]

# ----- 2: learned rules (bot/rules/learned.py) --------------------------------------------
MIGRATIONS.append(
    """
    CREATE TABLE learned_rules (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        escalation_id INTEGER NOT NULL UNIQUE,  -- the answer it was learned from
        answer TEXT NOT NULL,                   -- the owner's words, verbatim
        scope TEXT NOT NULL,                    -- sender address or "*@domain"
        channel TEXT NOT NULL DEFAULT '',
        actions TEXT NOT NULL,                  -- JSON list of actions
        expires TEXT,                           -- ISO date, inclusive
        state TEXT NOT NULL DEFAULT 'proposed', -- proposed | active | rejected | rolled_back
        confirm_escalation_id INTEGER,          -- the "learn this?" question, if asked
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX learned_rules_state ON learned_rules(state);
    CREATE INDEX learned_rules_confirm ON learned_rules(confirm_escalation_id)
    """
)

# ----- 3: tasks from the owner (bot/tasks/model.py, bot/tasks/runner.py) ------------------------
MIGRATIONS.append(
    """
    CREATE TABLE tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,               -- the event (or standing-task name) it came from
        kind TEXT NOT NULL,                     -- quotes | recurring
        title TEXT NOT NULL,
        spec TEXT NOT NULL,                     -- JSON, the structured form
        state TEXT NOT NULL DEFAULT 'planned',  -- planned | waiting | done | failed | needs_owner
        waiting_on TEXT NOT NULL DEFAULT '[]',  -- JSON list of addresses
        since REAL NOT NULL,                    -- when the current state began
        result TEXT NOT NULL DEFAULT '',
        escalation_id INTEGER,                  -- the open question, when needs_owner
        created_by TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX tasks_state ON tasks(state);
    CREATE INDEX tasks_escalation ON tasks(escalation_id);

    CREATE TABLE task_contacts (
        task_id INTEGER NOT NULL REFERENCES tasks(id),
        n INTEGER NOT NULL,                     -- position in the task's recipient list
        address TEXT NOT NULL,
        channel TEXT NOT NULL,
        thread TEXT NOT NULL,                   -- conversation key inside the channel
        status TEXT NOT NULL DEFAULT 'requested',
        offer REAL,
        currency TEXT NOT NULL DEFAULT '',
        reply_event TEXT NOT NULL DEFAULT '',   -- the last reply, Event JSON
        updated_at REAL NOT NULL,
        PRIMARY KEY (task_id, n)
    );
    CREATE UNIQUE INDEX task_contacts_thread ON task_contacts(channel, thread)
    """
)

MIGRATIONS.append(
    # 4: the sender's claim reads pending rows in seq order; an index on (state, next_at,
    # seq) made SQLite sort every pending row on each claim (issue 3: with a backlog of
    # 10,000 deliveries a claim cost over a millisecond on the writer's thread).
    """
    DROP INDEX outbox_state;
    CREATE INDEX outbox_state ON outbox(state, seq)
    """
)

MIGRATIONS.append(
    # 5: the facts of each judged message (bot.facts), kept with the event: shown by
    # `deputy log`, and what Deputy knows of a sender's payment details comes from the
    # facts of their earlier messages. inbox(sender) answers "wrote before?" by index.
    """
    CREATE TABLE message_facts (
        event_id TEXT PRIMARY KEY,
        sender TEXT NOT NULL,
        thread TEXT NOT NULL,
        payees TEXT NOT NULL DEFAULT '',    -- IBANs and account numbers, space-separated
        facts TEXT NOT NULL,                -- Facts JSON
        at REAL NOT NULL
    );
    CREATE INDEX message_facts_sender ON message_facts(sender, at);
    CREATE INDEX inbox_sender ON inbox(sender, seq)
    """
)

MIGRATIONS.append(
    # 6: the send budget counts every real recipient of an autonomous message (To and Cc,
    # Reply-To resolved), not only the first one: one row per recipient.
    """
    CREATE TABLE send_recipients (
        outbox_key TEXT NOT NULL,
        recipient TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (outbox_key, recipient)
    );
    CREATE INDEX send_recipients_by ON send_recipients(recipient, created_at);
    INSERT OR IGNORE INTO send_recipients (outbox_key, recipient, created_at)
        SELECT key, recipient, created_at FROM outbox
        WHERE op='send' AND autonomous=1 AND recipient != ''
    """
)

MIGRATIONS.append(
    # 7: deliveries are given up by age, not by count (a relay refusing for three minutes
    # used to exhaust 8 attempts): the age counts from the first try, not from the row's
    # creation, so a row held over the quiet hours is not late when it is first sent.
    """
    ALTER TABLE outbox ADD COLUMN first_tried_at REAL
    """
)

MIGRATIONS.append(
    # 8: the web console's one-time login links and sessions (bot/console/auth.py). Only
    # a SHA-256 of each secret is kept: a copy of the database opens no session.
    """
    CREATE TABLE console_tokens (
        hash TEXT PRIMARY KEY,              -- hex SHA-256 of the secret
        kind TEXT NOT NULL,                 -- login | session
        csrf TEXT NOT NULL DEFAULT '',      -- a session's form token
        expires_at REAL NOT NULL,
        used_at REAL,                       -- a login link is good once
        created_at REAL NOT NULL
    );
    CREATE INDEX console_tokens_expiry ON console_tokens(expires_at)
    """
)

MIGRATIONS.append(
    # 9: autonomy per rule: a draft is the reply a ``draft`` rule prepared, held until the
    # owner sends, edits or discards it (its id is the escalation's that asks about it);
    # the ledger is each rule's record with the owner, and the level the owner raised it
    # to (or Deputy lowered it to) over the rule file's own.
    """
    CREATE TABLE drafts (
        id INTEGER PRIMARY KEY,             -- the escalation id of its preview
        rule TEXT NOT NULL,
        event_id TEXT NOT NULL,
        recipients TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,                 -- as the rule / model wrote it
        state TEXT NOT NULL DEFAULT 'open', -- open | sent | edited | discarded | expired
        final_text TEXT NOT NULL DEFAULT '',
        changed REAL NOT NULL DEFAULT 0,    -- changed-character ratio of the sent text
        via TEXT NOT NULL DEFAULT '',
        example INTEGER NOT NULL DEFAULT 1, -- an edited one is shown to the model, 0 = deleted
        created_at REAL NOT NULL,
        closed_at REAL
    );
    CREATE INDEX drafts_state ON drafts(state, id);
    CREATE INDEX drafts_rule ON drafts(rule, id);

    CREATE TABLE rule_ledger (
        rule TEXT PRIMARY KEY,
        sent_unchanged INTEGER NOT NULL DEFAULT 0,
        sent_edited INTEGER NOT NULL DEFAULT 0,
        changed_sum REAL NOT NULL DEFAULT 0,    -- sum of the edited drafts' changed ratios
        discarded INTEGER NOT NULL DEFAULT 0,
        undone INTEGER NOT NULL DEFAULT 0,
        streak INTEGER NOT NULL DEFAULT 0,      -- unchanged sends since the last edit/discard
        level TEXT NOT NULL DEFAULT '',         -- '' = the rule file's level
        proposed INTEGER NOT NULL DEFAULT 0,    -- a raise to auto was proposed and is open
        updated_at REAL NOT NULL
    )
    """
)

MIGRATIONS.append(
    # 10: departments (bot/departments): model spend per day, department and endpoint, which
    # the daily caps are checked against.
    """
    CREATE TABLE model_spend (
        day TEXT NOT NULL,
        department TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        cost REAL NOT NULL DEFAULT 0,
        calls INTEGER NOT NULL DEFAULT 0,
        tokens INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, department, endpoint)
    )
    """
)

MIGRATIONS.append(
    # 11: one task paused by the owner (bot/tasks/pauses.py): the live state it goes back
    # to, since when (a deadline is extended by the time spent paused), and how many times
    # it was paused (names a timer re-armed after a pause, whose first firing is spent).
    # Its timers wait as state 'held' in the timers table meanwhile.
    """
    ALTER TABLE tasks ADD COLUMN paused_from TEXT NOT NULL DEFAULT '';
    ALTER TABLE tasks ADD COLUMN paused_at REAL NOT NULL DEFAULT 0;
    ALTER TABLE tasks ADD COLUMN pauses INTEGER NOT NULL DEFAULT 0
    """
)

MIGRATIONS.append(
    # 12: trusted peers (bot/peers): the Message-ID of every peer mail whose signature
    # verified, with the event that carried it first. Another event with the same
    # Message-ID (a copy with its unsigned parts changed, the same mail on another
    # channel) is a replay, and is machine mail again.
    """
    CREATE TABLE peer_messages (
        message_id TEXT PRIMARY KEY,
        peer TEXT NOT NULL,
        event_id TEXT NOT NULL,
        seen_at REAL NOT NULL
    )
    """
)

MIGRATIONS.append(
    # 13: an event that was in flight when the process died is a suspect: suspects run one
    # at a time, so the next death while one runs names it (bot/store/inbox.py recover).
    """
    ALTER TABLE inbox ADD COLUMN suspect INTEGER NOT NULL DEFAULT 0
    """
)
