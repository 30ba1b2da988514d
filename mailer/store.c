/*
 * store.c - see store.h.  The only file that includes sqlite3.h.
 *
 * One connection, WAL journal, every statement prepared once in
 * store_open() and reset after each use.  The schema is a list of
 * migrations: PRAGMA user_version counts how many have run, and each runs
 * in its own transaction together with the version bump, so a crash
 * mid-migration leaves the previous version intact.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gnutls/crypto.h>
#include <sqlite3.h>

#include "log.h"
#include "rawfile.h"
#include "store.h"
#include "util.h"

/*
 * Migration i takes the schema from user_version i to i + 1.  To change
 * the schema, append an entry; never edit one that has shipped.
 */
static const char *const migrations[] = {
	/* 1: messages, their items and the items' labels */
	"CREATE TABLE messages ("
	"	id INTEGER PRIMARY KEY,"
	"	hash TEXT NOT NULL UNIQUE,"
	"	message_id TEXT,"
	"	source TEXT NOT NULL DEFAULT '',"
	"	subject TEXT NOT NULL DEFAULT '',"
	"	from_addr TEXT NOT NULL DEFAULT '',"
	"	date INTEGER NOT NULL DEFAULT 0,"
	"	received INTEGER NOT NULL,"
	"	size INTEGER NOT NULL,"
	"	raw BLOB NOT NULL"
	");"
	"CREATE INDEX messages_received ON messages(received);"
	"CREATE INDEX messages_message_id ON messages(message_id);"
	"CREATE TABLE items ("
	"	id INTEGER PRIMARY KEY,"
	"	msg_id INTEGER NOT NULL"
	"		REFERENCES messages(id) ON DELETE CASCADE,"
	"	seq INTEGER NOT NULL,"
	"	title TEXT NOT NULL,"
	"	date INTEGER NOT NULL DEFAULT 0,"
	"	url TEXT,"
	"	source TEXT NOT NULL DEFAULT '',"
	"	text TEXT NOT NULL DEFAULT '',"
	"	words INTEGER NOT NULL DEFAULT 0,"
	"	UNIQUE(msg_id, seq)"
	");"
	/* (category, item_id) covers "items with label X" by itself */
	"CREATE TABLE labels ("
	"	item_id INTEGER NOT NULL"
	"		REFERENCES items(id) ON DELETE CASCADE,"
	"	category TEXT NOT NULL,"
	"	score INTEGER NOT NULL DEFAULT 0,"
	"	PRIMARY KEY(item_id, category)"
	") WITHOUT ROWID;"
	"CREATE INDEX labels_category ON labels(category, item_id);",
	/* 2: IMAP state per folder, and the flag/move actions owed to the
	 * server for messages already committed */
	"CREATE TABLE imap_folders ("
	"	account TEXT NOT NULL,"
	"	folder TEXT NOT NULL,"
	"	uidvalidity INTEGER NOT NULL DEFAULT 0,"
	"	last_uid INTEGER NOT NULL DEFAULT 0,"
	"	last_run INTEGER NOT NULL DEFAULT 0,"
	"	last_result TEXT NOT NULL DEFAULT '',"
	"	PRIMARY KEY(account, folder)"
	");"
	"CREATE TABLE imap_pending ("
	"	account TEXT NOT NULL,"
	"	folder TEXT NOT NULL,"
	"	uidvalidity INTEGER NOT NULL,"
	"	uid INTEGER NOT NULL,"
	"	action TEXT NOT NULL,"
	"	PRIMARY KEY(account, folder, uid)"
	") WITHOUT ROWID;",
	/* 3: subscribers, their categories, the outbox (which is also the
	 * record of what each subscriber is owed: UNIQUE(subscriber, kind,
	 * key) keeps a re-run from queueing a digest or forward twice),
	 * messages that were subscription commands, and the marks of the
	 * passes after fetch.  An existing store starts its marks at its
	 * newest message, so its history is not forwarded. */
	"CREATE TABLE subscribers ("
	"	id INTEGER PRIMARY KEY,"
	"	address TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"	name TEXT NOT NULL DEFAULT '',"
	"	confirmed INTEGER NOT NULL DEFAULT 0,"
	"	token TEXT NOT NULL UNIQUE,"
	"	created INTEGER NOT NULL,"
	"	changed INTEGER NOT NULL"
	");"
	"CREATE TABLE subscriptions ("
	"	subscriber INTEGER NOT NULL"
	"		REFERENCES subscribers(id) ON DELETE CASCADE,"
	"	category TEXT NOT NULL,"
	"	mode TEXT NOT NULL"
	"		CHECK (mode IN ('weekly', 'daily', 'instant')),"
	"	PRIMARY KEY(subscriber, category)"
	") WITHOUT ROWID;"
	"CREATE TABLE outbox ("
	"	id INTEGER PRIMARY KEY,"
	"	subscriber INTEGER NOT NULL"
	"		REFERENCES subscribers(id) ON DELETE CASCADE,"
	"	kind TEXT NOT NULL,"
	"	key TEXT NOT NULL,"
	"	msg_id INTEGER NOT NULL DEFAULT 0,"
	"	rcpt TEXT NOT NULL,"
	"	body BLOB NOT NULL,"
	"	state TEXT NOT NULL DEFAULT 'queued'"
	"		CHECK (state IN ('queued', 'sent', 'failed')),"
	"	attempts INTEGER NOT NULL DEFAULT 0,"
	"	next_try INTEGER NOT NULL DEFAULT 0,"
	"	reply TEXT NOT NULL DEFAULT '',"
	"	created INTEGER NOT NULL,"
	"	sent INTEGER NOT NULL DEFAULT 0,"
	"	UNIQUE(subscriber, kind, key)"
	");"
	/* the send loop walks queued rows in id order */
	"CREATE INDEX outbox_queue ON outbox(state, id);"
	"CREATE TABLE commands ("
	"	msg_id INTEGER PRIMARY KEY"
	"		REFERENCES messages(id) ON DELETE CASCADE,"
	"	result TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE TABLE marks ("
	"	name TEXT PRIMARY KEY,"
	"	value INTEGER NOT NULL"
	");"
	"INSERT INTO marks (name, value) SELECT 'commands', coalesce(max(id), 0)"
	"	FROM messages;"
	"INSERT INTO marks (name, value) SELECT 'forwards', coalesce(max(id), 0)"
	"	FROM messages;",
	/* 4: the record of runs that `status` reports: one row per fetch,
	 * run, digest, send or prune, written when it starts and again when
	 * it ends (finished stays 0 while it runs, or after a kill), with its
	 * exit code and last error.  The last fetch of each folder is in
	 * imap_folders (last_run, last_result) since version 2. */
	"CREATE TABLE runs ("
	"	id INTEGER PRIMARY KEY,"
	"	command TEXT NOT NULL,"
	"	started INTEGER NOT NULL,"
	"	finished INTEGER NOT NULL DEFAULT 0,"
	"	result INTEGER NOT NULL DEFAULT -1,"
	"	message TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE INDEX runs_command ON runs(command, finished, id);",
	/* 5: new messages' raw bytes go to STORE.raw (rawfile.h) at raw_at,
	 * size bytes long, and raw stays empty; raw_at NULL: in raw, as
	 * before.  raw_file.size is how much of that file is committed. */
	"ALTER TABLE messages ADD COLUMN raw_at INTEGER;"
	"CREATE TABLE raw_file ("
	"	id INTEGER PRIMARY KEY CHECK (id = 1),"
	"	size INTEGER NOT NULL"
	");"
	"INSERT INTO raw_file (id, size) VALUES (1, 0);",
	/* 6: new items' text goes to STORE.raw as well, at text_at: a tag
	 * (text_tag()) then text_len bytes, and text stays empty; text_at
	 * NULL: in text, as before */
	"ALTER TABLE items ADD COLUMN text_at INTEGER;"
	"ALTER TABLE items ADD COLUMN text_len INTEGER NOT NULL DEFAULT 0;",
};

#define ITEMS_COLUMNS \
	"SELECT i.id, i.msg_id, m.message_id, m.source, m.subject," \
	" m.from_addr, m.received, i.title, i.date, i.url, i.text," \
	" i.text_at, i.text_len, m.hash, i.source, i.words," \
	" (SELECT group_concat(l.category, char(10)) FROM labels l" \
	"  WHERE l.item_id = i.id)" \
	" FROM items i JOIN messages m ON m.id = i.msg_id" \
	" WHERE m.received >= ?1 AND m.received < ?2" \
	" AND (?4 = 0 OR m.id = ?4)" \
	" AND m.id NOT IN (SELECT msg_id FROM commands)"
#define ITEMS_ORDER " ORDER BY m.received, m.id, i.seq"

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_HAS,
	ST_ADD_MSG,
	ST_MSG_ID,
	ST_ADD_ITEM,
	ST_ADD_LABEL,
	ST_ITEMS,
	ST_ITEMS_LABEL,
	ST_COUNT_MSGS,
	ST_FOLDER_GET,
	ST_FOLDER_SET,
	ST_FOLDER_RESULT,
	ST_PENDING_ADD,
	ST_PENDING_LIST,
	ST_PENDING_DEL,
	ST_PENDING_DROP,
	ST_RAW_BATCH,
	ST_DEL_ITEMS,
	ST_SET_FIELDS,
	ST_SUB_GET,
	ST_SUB_BY_TOKEN,
	ST_SUB_LIST,
	ST_SUB_PAGE,
	ST_SUB_CATS,
	ST_SUB_ADD,
	ST_SUB_NAME,
	ST_SUB_CONFIRM,
	ST_SUB_CLEAR_CATS,
	ST_SUB_ADD_CAT,
	ST_SUB_DEL_CAT,
	ST_SUB_DEL,
	ST_OUT_ADD,
	ST_OUT_HAS,
	ST_OUT_NEXT,
	ST_OUT_SENT,
	ST_OUT_RETRY,
	ST_OUT_FAILED,
	ST_MARK_GET,
	ST_MARK_SET,
	ST_MSGS_AFTER,
	ST_CMD_ADD,
	/* operations: status, retention, export and import */
	ST_BEGIN_READ,
	ST_IMP_MSG,
	ST_DEL_MSG,
	ST_RUN_ADD,
	ST_RUN_END,
	ST_RUN_DEL,
	ST_RUNS_LATEST,
	ST_RUNS_PRUNE,
	ST_FOLDERS,
	ST_FOLDER_IMP,
	ST_COUNT_ITEMS,
	ST_COUNT_LABELS,
	ST_OUT_COUNTS,
	ST_OUT_PROBLEMS,
	ST_SUB_COUNTS,
	ST_DIGEST_OWED,
	ST_PRUNE_LIST,
	ST_EXP_MSGS,
	ST_EXP_ITEMS,
	ST_EXP_LABELS,
	ST_EXP_OUTBOX,
	ST_OUT_IMP,
	ST_SUB_IMP,
	ST_MARKS,
	ST_MARK_MAX,
	ST_RAW_SIZE,
	ST_RAW_SET_SIZE,
	ST_RAW_WHERE,
	ST_TEXT_WHERE,
	ST_MSG_HASH,
	ST_N
};

static const char *const stmt_sql[ST_N] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_HAS] = "SELECT 1 FROM messages WHERE hash = ?1",
	[ST_ADD_MSG] = "INSERT INTO messages (hash, message_id, source,"
		" subject, from_addr, date, received, size, raw, raw_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11)"
		" ON CONFLICT (hash) DO NOTHING",
	[ST_MSG_ID] = "SELECT id FROM messages WHERE hash = ?1",
	[ST_ADD_ITEM] = "INSERT INTO items (msg_id, seq, title, date, url,"
		" source, text, words, text_at, text_len)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	/* classify should not repeat a category; if it does, keep the
	 * higher score rather than fail the message */
	[ST_ADD_LABEL] = "INSERT INTO labels (item_id, category, score)"
		" VALUES (?1, ?2, ?3)"
		" ON CONFLICT (item_id, category)"
		" DO UPDATE SET score = max(score, excluded.score)",
	[ST_ITEMS] = ITEMS_COLUMNS ITEMS_ORDER,
	[ST_ITEMS_LABEL] = ITEMS_COLUMNS
		" AND i.id IN (SELECT item_id FROM labels WHERE category = ?3)"
		ITEMS_ORDER,
	[ST_COUNT_MSGS] = "SELECT count(*) FROM messages",
	[ST_FOLDER_GET] = "SELECT uidvalidity, last_uid FROM imap_folders"
		" WHERE account = ?1 AND folder = ?2",
	[ST_FOLDER_SET] = "INSERT INTO imap_folders (account, folder,"
		" uidvalidity, last_uid, last_run, last_result)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (account, folder) DO UPDATE SET"
		" uidvalidity = excluded.uidvalidity,"
		" last_uid = excluded.last_uid, last_run = excluded.last_run,"
		" last_result = excluded.last_result",
	[ST_FOLDER_RESULT] = "INSERT INTO imap_folders (account, folder,"
		" last_run, last_result) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (account, folder) DO UPDATE SET"
		" last_run = excluded.last_run,"
		" last_result = excluded.last_result",
	[ST_PENDING_ADD] = "INSERT INTO imap_pending (account, folder,"
		" uidvalidity, uid, action) VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (account, folder, uid) DO UPDATE SET"
		" uidvalidity = excluded.uidvalidity,"
		" action = excluded.action",
	[ST_PENDING_LIST] = "SELECT uidvalidity, uid, action FROM imap_pending"
		" WHERE account = ?1 AND folder = ?2 ORDER BY action, uid",
	[ST_PENDING_DEL] = "DELETE FROM imap_pending WHERE account = ?1"
		" AND folder = ?2 AND uid = ?3",
	[ST_PENDING_DROP] = "DELETE FROM imap_pending WHERE account = ?1"
		" AND folder = ?2 AND uidvalidity != ?3",
	[ST_RAW_BATCH] = "SELECT id, raw, raw_at, size, hash FROM messages"
		" WHERE id > ?1 ORDER BY id LIMIT ?2",
	[ST_DEL_ITEMS] = "DELETE FROM items WHERE msg_id = ?1",
	[ST_SET_FIELDS] = "UPDATE messages SET message_id = ?2, subject = ?3,"
		" from_addr = ?4, date = ?5 WHERE id = ?1",
#define SUB_COLUMNS "SELECT id, address, name, confirmed, token, created," \
	" changed FROM subscribers"
	[ST_SUB_GET] = SUB_COLUMNS " WHERE address = ?1",
	[ST_SUB_BY_TOKEN] = SUB_COLUMNS " WHERE token = ?1",
	[ST_SUB_LIST] = SUB_COLUMNS " ORDER BY address COLLATE NOCASE",
	[ST_SUB_PAGE] = SUB_COLUMNS " WHERE id > ?1 ORDER BY id LIMIT ?2",
	[ST_SUB_CATS] = "SELECT category, mode FROM subscriptions"
		" WHERE subscriber = ?1 ORDER BY category",
	[ST_SUB_ADD] = "INSERT INTO subscribers (address, name, confirmed,"
		" token, created, changed) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
		" ON CONFLICT (address) DO NOTHING",
	[ST_SUB_NAME] = "UPDATE subscribers SET name = ?2, changed = ?3"
		" WHERE id = ?1",
	[ST_SUB_CONFIRM] = "UPDATE subscribers SET confirmed = 1,"
		" changed = ?2 WHERE id = ?1",
	[ST_SUB_CLEAR_CATS] = "DELETE FROM subscriptions WHERE subscriber = ?1",
	[ST_SUB_ADD_CAT] = "INSERT INTO subscriptions (subscriber, category,"
		" mode) VALUES (?1, ?2, ?3) ON CONFLICT (subscriber, category)"
		" DO UPDATE SET mode = excluded.mode",
	[ST_SUB_DEL_CAT] = "DELETE FROM subscriptions WHERE subscriber = ?1"
		" AND category = ?2",
	[ST_SUB_DEL] = "DELETE FROM subscribers WHERE id = ?1",
	[ST_OUT_ADD] = "INSERT INTO outbox (subscriber, kind, key, msg_id,"
		" rcpt, body, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT (subscriber, kind, key) DO NOTHING",
	[ST_OUT_HAS] = "SELECT 1 FROM outbox WHERE subscriber = ?1"
		" AND kind = ?2 AND key = ?3",
	[ST_OUT_NEXT] = "SELECT id, subscriber, kind, key, rcpt, body,"
		" attempts FROM outbox WHERE state = 'queued'"
		" AND next_try <= ?1 AND id > ?2 ORDER BY id LIMIT 1",
	[ST_OUT_SENT] = "UPDATE outbox SET state = 'sent', sent = ?2,"
		" reply = ?3, body = x'' WHERE id = ?1",
	[ST_OUT_RETRY] = "UPDATE outbox SET attempts = attempts + 1,"
		" next_try = ?2, reply = ?3 WHERE id = ?1",
	[ST_OUT_FAILED] = "UPDATE outbox SET state = 'failed',"
		" attempts = attempts + 1, reply = ?2 WHERE id = ?1",
	[ST_MARK_GET] = "SELECT value FROM marks WHERE name = ?1",
	[ST_MARK_SET] = "INSERT INTO marks (name, value) VALUES (?1, ?2)"
		" ON CONFLICT (name) DO UPDATE SET value = excluded.value",
	[ST_MSGS_AFTER] = "SELECT id, subject, from_addr, received"
		" FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2",
	[ST_CMD_ADD] = "INSERT INTO commands (msg_id, result) VALUES (?1, ?2)"
		" ON CONFLICT (msg_id) DO UPDATE SET result = excluded.result",
	/* a deferred BEGIN: a reader's snapshot that blocks no writer */
	[ST_BEGIN_READ] = "BEGIN",
	/* the exported id when it is free (no target: any conflict, the
	 * id's or the hash's, inserts nothing) */
	[ST_IMP_MSG] = "INSERT INTO messages (id, hash, message_id, source,"
		" subject, from_addr, date, received, size, raw, raw_at)"
		" VALUES (?10, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11)"
		" ON CONFLICT DO NOTHING",
	/* items, labels and the command row go with it (ON DELETE CASCADE) */
	[ST_DEL_MSG] = "DELETE FROM messages WHERE id = ?1",
	[ST_RUN_ADD] = "INSERT INTO runs (command, started, finished, result,"
		" message) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_RUN_END] = "UPDATE runs SET finished = ?2, result = ?3,"
		" message = ?4 WHERE id = ?1",
	[ST_RUN_DEL] = "DELETE FROM runs WHERE id = ?1",
	[ST_RUNS_LATEST] = "SELECT id, command, started, finished, result,"
		" message FROM runs WHERE id IN (SELECT max(id) FROM runs"
		" WHERE ?1 = 0 OR finished != 0 GROUP BY command)"
		" ORDER BY command",
	/* the latest run of each command, and its latest finished one,
	 * stay whatever their age: status reports them */
	[ST_RUNS_PRUNE] = "DELETE FROM runs WHERE started < ?1"
		" AND id NOT IN (SELECT max(id) FROM runs GROUP BY command)"
		" AND id NOT IN (SELECT max(id) FROM runs WHERE finished != 0"
		" GROUP BY command)",
	[ST_FOLDERS] = "SELECT account, folder, uidvalidity, last_uid,"
		" last_run, last_result FROM imap_folders"
		" ORDER BY account, folder",
	[ST_FOLDER_IMP] = "INSERT INTO imap_folders (account, folder,"
		" uidvalidity, last_uid, last_run, last_result)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (account, folder) DO NOTHING",
	[ST_COUNT_ITEMS] = "SELECT count(*) FROM items i"
		" JOIN messages m ON m.id = i.msg_id"
		" WHERE m.received >= ?1 AND m.received < ?2",
	[ST_COUNT_LABELS] = "SELECT l.category, count(*) FROM labels l"
		" JOIN items i ON i.id = l.item_id"
		" JOIN messages m ON m.id = i.msg_id"
		" WHERE m.received >= ?1 AND m.received < ?2"
		" GROUP BY l.category ORDER BY l.category",
	[ST_OUT_COUNTS] = "SELECT"
		" coalesce(sum(state = 'queued' AND attempts = 0), 0),"
		" coalesce(sum(state = 'queued' AND attempts > 0), 0),"
		" coalesce(sum(state = 'failed'), 0),"
		" coalesce(sum(state = 'sent'), 0) FROM outbox",
	[ST_OUT_PROBLEMS] = "SELECT o.kind, o.key, o.rcpt, o.state,"
		" o.attempts, o.next_try, o.reply, o.created FROM outbox o"
		" WHERE o.state = 'failed'"
		" OR (o.state = 'queued' AND o.attempts > 0)"
		" ORDER BY o.id DESC LIMIT ?1",
	/* mode '' counts every subscriber, with a category or not */
	[ST_SUB_COUNTS] = "SELECT '', confirmed, count(*) FROM subscribers"
		" GROUP BY confirmed"
		" UNION ALL SELECT c.mode, s.confirmed, count(DISTINCT s.id)"
		" FROM subscriptions c JOIN subscribers s ON s.id = c.subscriber"
		" GROUP BY c.mode, s.confirmed",
	[ST_DIGEST_OWED] = "SELECT 1 FROM subscribers s WHERE s.confirmed = 1"
		" AND EXISTS (SELECT 1 FROM subscriptions c"
		" WHERE c.subscriber = s.id AND c.mode = ?1)"
		" AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.subscriber = s.id"
		" AND o.kind = 'digest' AND o.key = ?2) LIMIT 1",
	[ST_PRUNE_LIST] = "SELECT m.id, m.received, m.subject, m.size,"
		" (SELECT count(*) FROM items i WHERE i.msg_id = m.id)"
		" FROM messages m WHERE m.received < ?1 AND m.id > ?2"
		" AND m.id <= ?3"
		" AND m.id NOT IN (SELECT msg_id FROM outbox"
		" WHERE state = 'queued')"
		" ORDER BY m.id LIMIT ?4",
	[ST_EXP_MSGS] = "SELECT m.id, m.hash, m.message_id, m.source,"
		" m.subject, m.from_addr, m.date, m.received, c.result,"
		" m.raw, m.raw_at, m.size, m.hash"
		" FROM messages m LEFT JOIN commands c ON c.msg_id = m.id"
		" ORDER BY m.id",
	[ST_EXP_ITEMS] = "SELECT i.id, i.seq, i.title, i.date, i.url,"
		" i.source, i.text, i.text_at, i.text_len, m.hash, i.words"
		" FROM items i JOIN messages m ON m.id = i.msg_id"
		" WHERE i.msg_id = ?1 ORDER BY i.seq",
	[ST_EXP_LABELS] = "SELECT category, score FROM labels"
		" WHERE item_id = ?1 ORDER BY category",
	[ST_EXP_OUTBOX] = "SELECT s.address, o.kind, o.key, m.hash, o.rcpt,"
		" o.state, o.attempts, o.next_try, o.reply, o.created, o.sent,"
		" o.body FROM outbox o JOIN subscribers s ON s.id = o.subscriber"
		" LEFT JOIN messages m ON m.id = o.msg_id ORDER BY o.id",
	[ST_OUT_IMP] = "INSERT INTO outbox (subscriber, kind, key, msg_id,"
		" rcpt, body, state, attempts, next_try, reply, created, sent)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
		" ON CONFLICT (subscriber, kind, key) DO NOTHING",
	[ST_SUB_IMP] = "INSERT INTO subscribers (address, name, confirmed,"
		" token, created, changed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (address) DO NOTHING",
	[ST_MARKS] = "SELECT name, value FROM marks ORDER BY name",
	[ST_MARK_MAX] = "INSERT INTO marks (name, value) VALUES (?1, ?2)"
		" ON CONFLICT (name) DO UPDATE"
		" SET value = max(value, excluded.value)",
	[ST_RAW_SIZE] = "SELECT size FROM raw_file WHERE id = 1",
	[ST_RAW_SET_SIZE] = "UPDATE raw_file SET size = ?1 WHERE id = 1",
	[ST_RAW_WHERE] = "SELECT raw_at, size FROM messages WHERE id = ?1"
		" AND raw_at IS NOT NULL",
	[ST_TEXT_WHERE] = "SELECT text_at, text_len FROM items"
		" WHERE msg_id = ?1 AND text_at IS NOT NULL ORDER BY seq",
	[ST_MSG_HASH] = "SELECT hash FROM messages WHERE id = ?1",
};

/* A deleted message's bytes, or its items' text, in the raw file: freed
 * once that commits. */
struct hole {
	int64_t at, len;
};

/* Before an item's text in the raw file: "item" and the first digits of
 * its message's hash, so that bytes freed under a reader, or a raw file
 * restored apart from its store, are found out when read. */
#define TEXT_TAG 16

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[ST_N];
	int in_items;           /* store_items is running a callback */
	struct ckpt *ck;        /* store_checkpointer_start; owned */
	/* the raw file; raw_end and the rest hold in a store_begin
	 * transaction (raw_txn) */
	struct rawfile *raw;
	int raw_txn;
	int raw_trimmed;        /* raw_end checked against the file */
	int raw_dirty;          /* raw_end moved: raw_file.size to update */
	int64_t raw_end;
	struct hole *holes;
	size_t n_holes, holes_cap;
	int64_t tag_id;         /* the message text_tag() last looked up */
	char tag[TEXT_TAG];
};

/* Logs the connection's last error once, with what we were doing. */
static void
store_log(struct store *st, const char *what)
{
	log_err("store '%s': %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

/* Clears a statement for its next use; errors were seen at step. */
static void
stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Binds s, or NULL when s is NULL.  Strings are bound SQLITE_STATIC:
 * each statement is stepped and reset before the caller's data goes. */
static int
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (!v)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* As bind_text, "" for NULL, for the NOT NULL columns. */
static int
bind_str(sqlite3_stmt *s, int i, const char *v)
{
	return sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

static int
exec_simple(struct store *st, enum stmt which, const char *what)
{
	sqlite3_stmt *s = st->stmt[which];
	int rc = sqlite3_step(s);
	int ret = 0;

	if (rc != SQLITE_DONE) {
		store_log(st, what);
		ret = -1;
	}
	stmt_done(s);
	return ret;
}

static int
get_user_version(sqlite3 *db, int *v_r)
{
	sqlite3_stmt *s = NULL;
	int ret = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL)
	    != SQLITE_OK)
		goto out;
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	*v_r = sqlite3_column_int(s, 0);
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/*
 * Runs the migrations the file has not seen yet.  Each takes the write
 * lock and re-reads the version under it, so two processes opening a
 * fresh store at once do not both create the tables.
 */
static int
store_migrate(struct store *st, char **err_r)
{
	const int latest = (int)ARRAY_SIZE(migrations);
	char *sql = NULL;
	int in_txn = 0;
	int ret = -1;
	int v;

	for (;;) {
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)
		    != SQLITE_OK)
			goto fail;
		in_txn = 1;
		if (get_user_version(st->db, &v) < 0)
			goto fail;
		if (v > latest) {
			*err_r = xasprintf("store '%s' has schema version %d,"
			    " newer than this program's %d", st->path, v,
			    latest);
			goto out;
		}
		if (v == latest)
			break;
		free(sql);
		sql = xasprintf("%s; PRAGMA user_version = %d", migrations[v],
		    v + 1);
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL)
		    != SQLITE_OK)
			goto fail;
		in_txn = 0;
		log_debug("store '%s': migrated to schema version %d",
		    st->path, v + 1);
	}
	ret = 0;
	goto out;
fail:
	*err_r = xasprintf("cannot set up store '%s': %s", st->path,
	    sqlite3_errmsg(st->db));
out:
	if (in_txn)
		sqlite3_exec(st->db, ret == 0 ? "COMMIT" : "ROLLBACK", NULL,
		    NULL, NULL);
	free(sql);
	return ret;
}

int
store_open(const char *path, struct store **st_r, char **err_r)
{
	/*
	 * page_size (new files only; it must precede the switch to WAL): a
	 * 15 KB message spans four overflow pages of 4 KB but one of 32 KB,
	 * and storing ~20,000 of them runs 1.7x faster for it.
	 *
	 * synchronous=FULL: in WAL mode NORMAL already keeps the file
	 * consistent through kill -9 and power loss, but a power cut may
	 * roll back the last commits; FULL fsyncs the log at each COMMIT
	 * so a committed batch stays.  Measured on 20,000 x 15 KB messages:
	 * no difference at 200 messages per transaction, 7% at 20, 25% at
	 * one per transaction, so callers batch.
	 */
	static const char pragmas[] =
	    "PRAGMA page_size = 32768;"
	    "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;";
	struct store *st = xcalloc(1, sizeof(*st));
	struct stat sb;
	char *raw_path;
	int ret = -1;
	int i;

	*st_r = NULL;
	st->path = xstrdup(path);
	/* NOMUTEX: a handle is used by one thread at a time */
	if (sqlite3_open_v2(path, &st->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		*err_r = xasprintf("cannot open store '%s': %s", path,
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	/* another writer (a fetch beside a classify) holds the lock for
	 * one batch at most */
	sqlite3_busy_timeout(st->db, 10000);
	if (sqlite3_exec(st->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		*err_r = xasprintf("cannot open store '%s': %s", path,
		    sqlite3_errmsg(st->db));
		goto out;
	}
	if (store_migrate(st, err_r) < 0)
		goto out;
	/* the raw file is as private as the store; an in-memory store
	 * (tests) keeps raw bytes in its rows */
	if (*path && strcmp(path, ":memory:") != 0) {
		raw_path = xasprintf("%s%s", path, STORE_RAW_SUFFIX);
		st->raw = rawfile_new(raw_path, stat(path, &sb) == 0 ?
		    (unsigned)(sb.st_mode & 0666) : 0600);
		free(raw_path);
	}
	for (i = 0; i < ST_N; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL)
		    != SQLITE_OK) {
			*err_r = xasprintf("cannot prepare statement in store"
			    " '%s': %s", path, sqlite3_errmsg(st->db));
			goto out;
		}
	}
	*st_r = st;
	st = NULL;
	ret = 0;
out:
	store_close(&st);
	return ret;
}

void
store_close(struct store **stp)
{
	struct store *st = *stp;
	int i;

	if (!st)
		return;
	store_checkpointer_stop(st);
	for (i = 0; i < ST_N; i++)
		sqlite3_finalize(st->stmt[i]);
	/* an open transaction is rolled back by the close */
	if (st->db && sqlite3_close(st->db) != SQLITE_OK)
		store_log(st, "close");
	rawfile_free(&st->raw);
	free(st->holes);
	free(st->path);
	free(st);
	*stp = NULL;
}

static void
raw_reset(struct store *st)
{
	st->raw_txn = st->raw_trimmed = st->raw_dirty = 0;
	st->n_holes = 0;
	st->tag_id = 0;
	/* a commit synced what it kept; the rest is no one's */
	if (st->raw)
		rawfile_drop(st->raw);
}

int
store_begin(struct store *st)
{
	sqlite3_stmt *s = st->stmt[ST_RAW_SIZE];

	raw_reset(st);
	if (exec_simple(st, ST_BEGIN, "begin") < 0)
		return -1;
	/* under the write lock: where this transaction's messages go */
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_log(st, "read the raw file's size");
		stmt_done(s);
		store_rollback(st);
		return -1;
	}
	st->raw_end = sqlite3_column_int64(s, 0);
	stmt_done(s);
	st->raw_txn = st->raw != NULL;
	return 0;
}

/*
 * The raw bytes are on disk before the COMMIT that names them, whatever
 * synchronous says: a commit that a power cut spares must not name bytes
 * it took (rawfile.c starts their writeback early, so the wait is short).
 */
int
store_commit(struct store *st)
{
	sqlite3_stmt *s = st->stmt[ST_RAW_SET_SIZE];
	size_t i;

	if (st->raw_txn && st->raw_dirty) {
		sqlite3_bind_int64(s, 1, st->raw_end);
		if (exec_simple(st, ST_RAW_SET_SIZE, "set the raw file's size")
		    < 0)
			return -1;
		if (rawfile_sync(st->raw) < 0)
			return -1;
	}
	if (exec_simple(st, ST_COMMIT, "commit") < 0)
		return -1;
	/* deleted messages' bytes: kept until no commit could bring
	 * them back */
	for (i = 0; st->raw && i < st->n_holes; i++)
		rawfile_punch(st->raw, st->holes[i].at, st->holes[i].len);
	raw_reset(st);
	return 0;
}

int
store_rollback(struct store *st)
{
	/* bytes already written lie past raw_file.size: the next
	 * writer's raw_put cuts them off */
	raw_reset(st);
	/* SQLite may already have rolled back (on SQLITE_FULL, say);
	 * nothing left to undo is not an error */
	if (sqlite3_get_autocommit(st->db))
		return 0;
	return exec_simple(st, ST_ROLLBACK, "rollback");
}

/* A writer killed before its commit left bytes past the end: cut them
 * off before this transaction's first write. */
static int
raw_trim(struct store *st)
{
	if (!st->raw_trimmed) {
		if (rawfile_trim(st->raw, st->raw_end) < 0)
			return -1;
		st->raw_trimmed = 1;
	}
	return 0;
}

/* Queues [at, at + len) to be freed at the commit, as one hole with the
 * last when they touch (a message and its items' text do). */
static void
raw_hole(struct store *st, int64_t at, int64_t len)
{
	struct hole *h = st->n_holes ? &st->holes[st->n_holes - 1] : NULL;

	if (h && h->at + h->len == at) {
		h->len += len;
		return;
	}
	xgrow(&st->holes, st->n_holes, &st->holes_cap, sizeof(*st->holes));
	st->holes[st->n_holes].at = at;
	st->holes[st->n_holes++].len = len;
}

/* The tag of msg_id's items' text: "item", then twelve digits of its
 * hash (fewer, padded with '-', for an odd hash an import brought). */
static void
text_tag(char tag[TEXT_TAG], const char *hash)
{
	size_t i;

	memcpy(tag, "item", 4);
	for (i = 4; i < TEXT_TAG; i++)
		tag[i] = hash && *hash ? *hash++ : '-';
}

static int
tag_of(struct store *st, int64_t msg_id)
{
	sqlite3_stmt *q = st->stmt[ST_MSG_HASH];
	int rc;

	if (st->tag_id == msg_id)
		return 0;
	sqlite3_bind_int64(q, 1, msg_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		text_tag(st->tag, (const char *)sqlite3_column_text(q, 0));
	else
		store_log(st, "find an item's message");
	stmt_done(q);
	if (rc != SQLITE_ROW)
		return -1;
	st->tag_id = msg_id;
	return 0;
}

/*
 * Writes m's raw bytes at the end of the committed raw file, which the
 * caller then names in the row; raw_end moves only once the row is in.
 * Outside a store_begin transaction, returns 1: the bytes go in the row.
 */
static int
raw_put(struct store *st, const struct store_msg *m)
{
	if (!st->raw_txn)
		return 1;
	if (raw_trim(st) < 0)
		return -1;
	return rawfile_write(st->raw, st->raw_end, m->raw, m->raw_len);
}

/* The row is in: the len bytes raw_put or text_put wrote (r 0) are now
 * its, and the next write goes after them. */
static void
raw_taken(struct store *st, int64_t len, int r)
{
	if (r == 0) {
		st->raw_end += len;
		st->raw_dirty = 1;
	}
}

/* Binds m's raw bytes as raw (?9) and raw_at (?11) after raw_put's
 * answer r. */
static void
bind_raw(sqlite3_stmt *s, const struct store_msg *m, int64_t at, int r)
{
	/* a non-NULL pointer: an empty message is an empty blob, not NULL */
	if (r == 0) {
		sqlite3_bind_blob64(s, 9, "", 0, SQLITE_STATIC);
		sqlite3_bind_int64(s, 11, at);
	} else {
		sqlite3_bind_blob64(s, 9, m->raw_len ? m->raw : "",
		    (sqlite3_uint64)m->raw_len, SQLITE_STATIC);
		sqlite3_bind_null(s, 11);
	}
}

/*
 * The raw bytes of a row whose columns c .. c + 3 are raw, raw_at, size
 * and hash: from the row, or from the raw file.  Those must match the
 * hash: a message deleted while we read, or a raw file restored apart
 * from its store, is an error rather than wrong mail.  0 or -1 (logged).
 */
static int
row_raw(struct store *st, sqlite3_stmt *q, int c, int64_t id,
    const char **raw_r, size_t *len_r)
{
	const char *raw, *hash;
	char check[65];
	int64_t at, len;

	if (sqlite3_column_type(q, c + 1) == SQLITE_NULL) {
		raw = sqlite3_column_blob(q, c);
		*len_r = (size_t)sqlite3_column_bytes(q, c);
		*raw_r = raw ? raw : "";
		return 0;
	}
	at = sqlite3_column_int64(q, c + 1);
	len = sqlite3_column_int64(q, c + 2);
	hash = (const char *)sqlite3_column_text(q, c + 3);
	if (!st->raw || at < 0 || len < 0 || (uint64_t)len > SIZE_MAX / 2 ||
	    rawfile_read(st->raw, at, (size_t)len, raw_r) < 0) {
		log_err("store '%s': message %" PRId64 ": cannot read its raw"
		    " bytes", st->path, id);
		return -1;
	}
	store_hash(*raw_r, (size_t)len, check);
	if (!hash || strcmp(hash, check) != 0) {
		log_err("store '%s': message %" PRId64 ": its bytes in '%s%s'"
		    " are not the ones stored", st->path, id, st->path,
		    STORE_RAW_SUFFIX);
		return -1;
	}
	*len_r = (size_t)len;
	return 0;
}

void
store_hash(const void *data, size_t len, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	size_t i;

	/* SHA-256 is always available; a failure here means a broken
	 * library, and a made-up hash would corrupt de-duplication */
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, len ? data : "", len, md)
	    < 0) {
		log_err("cannot compute sha-256");
		abort();
	}
	for (i = 0; i < sizeof(md); i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[64] = '\0';
}

int
store_has_message(struct store *st, const char *hash)
{
	sqlite3_stmt *s = st->stmt[ST_HAS];
	int ret = -1;
	int rc;

	bind_str(s, 1, hash);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		ret = 1;
	else if (rc == SQLITE_DONE)
		ret = 0;
	else
		store_log(st, "look up message");
	stmt_done(s);
	return ret;
}

int
store_add_message(struct store *st, const struct store_msg *m,
    int64_t *id_r)
{
	sqlite3_stmt *s = st->stmt[ST_ADD_MSG];
	int64_t at = st->raw_end;
	int ret = -1, r;

	if ((r = raw_put(st, m)) < 0)
		return -1;
	bind_str(s, 1, m->hash);
	bind_text(s, 2, m->message_id);
	bind_str(s, 3, m->source);
	bind_str(s, 4, m->subject);
	bind_str(s, 5, m->from);
	sqlite3_bind_int64(s, 6, m->date);
	sqlite3_bind_int64(s, 7, m->received);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)m->raw_len);
	bind_raw(s, m, at, r);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_log(st, "add message");
		stmt_done(s);
		goto out;
	}
	stmt_done(s);
	if (sqlite3_changes(st->db) == 1) {
		*id_r = sqlite3_last_insert_rowid(st->db);
		raw_taken(st, (int64_t)m->raw_len, r);
		/* its items' tag, without a look-up */
		text_tag(st->tag, m->hash);
		st->tag_id = *id_r;
		ret = 0;
		goto out;
	}

	/* the hash was there: hand back that message's id */
	s = st->stmt[ST_MSG_ID];
	bind_str(s, 1, m->hash);
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_log(st, "look up duplicate message");
		stmt_done(s);
		goto out;
	}
	*id_r = sqlite3_column_int64(s, 0);
	stmt_done(s);
	ret = 1;
out:
	return ret;
}

/*
 * Writes an item's text, after its tag, at the end of the raw file, as
 * raw_put() does a message.  Returns 1 when it goes in the row instead:
 * outside a store_begin transaction, or empty.
 */
static int
text_put(struct store *st, int64_t msg_id, const char *text, size_t len)
{
	if (!st->raw_txn || len == 0)
		return 1;
	if (raw_trim(st) < 0 || tag_of(st, msg_id) < 0 ||
	    rawfile_write(st->raw, st->raw_end, st->tag, TEXT_TAG) < 0 ||
	    rawfile_write(st->raw, st->raw_end + TEXT_TAG, text, len) < 0)
		return -1;
	return 0;
}

int
store_add_item(struct store *st, int64_t msg_id, unsigned seq,
    const struct item *it)
{
	sqlite3_stmt *s = st->stmt[ST_ADD_ITEM];
	const char *text = it->text ? it->text : "";
	size_t len = strlen(text);
	int64_t item_id, at = st->raw_end;
	int ret = -1, r;
	size_t i;

	if ((r = text_put(st, msg_id, text, len)) < 0)
		return -1;
	sqlite3_bind_int64(s, 1, msg_id);
	sqlite3_bind_int64(s, 2, seq);
	bind_str(s, 3, it->title);
	sqlite3_bind_int64(s, 4, it->date);
	bind_text(s, 5, it->url);
	bind_str(s, 6, it->source);
	sqlite3_bind_int64(s, 8, it->words);
	if (r == 0) {
		bind_str(s, 7, "");
		sqlite3_bind_int64(s, 9, at);
	} else {
		sqlite3_bind_text64(s, 7, text, len, SQLITE_STATIC,
		    SQLITE_UTF8);
		sqlite3_bind_null(s, 9);
	}
	sqlite3_bind_int64(s, 10, (sqlite3_int64)len);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_log(st, "add item");
		stmt_done(s);
		goto out;
	}
	stmt_done(s);
	item_id = sqlite3_last_insert_rowid(st->db);
	raw_taken(st, TEXT_TAG + (int64_t)len, r);

	s = st->stmt[ST_ADD_LABEL];
	for (i = 0; i < it->n_labels; i++) {
		sqlite3_bind_int64(s, 1, item_id);
		bind_str(s, 2, it->labels[i].id);
		sqlite3_bind_int(s, 3, it->labels[i].score);
		if (sqlite3_step(s) != SQLITE_DONE) {
			store_log(st, "add label");
			stmt_done(s);
			goto out;
		}
		stmt_done(s);
	}
	ret = 0;
out:
	return ret;
}

static const char *
col_str(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	return v ? v : "";
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Splits the newline-joined label list of one row into labels[], which
 * point into a copy in lb (both reused from row to row); sorted so the
 * order does not depend on group_concat's.
 */
static size_t
split_labels(const char *joined, struct buf *lb, const char ***labels,
    size_t *cap)
{
	size_t n = 0;
	char *p;
	char *nl;

	buf_reset(lb);
	if (!joined || !*joined)
		return 0;
	if (buf_addstr(lb, joined) < 0)
		return 0;
	for (p = lb->data; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		xgrow(labels, n, cap, sizeof(**labels));
		(*labels)[n++] = p;
	}
	qsort(*labels, n, sizeof(**labels), cmp_str);
	return n;
}

/*
 * The text of an item row whose columns c .. c + 3 are text, text_at,
 * text_len and its message's hash: from the row, or from the raw file
 * into *b (*cap_r bytes; the caller frees it).  The tag must be its
 * message's, and no byte NUL (freed bytes read as zeros): else an error,
 * not another text.  0 or -1 (logged).
 */
static int
row_text(struct store *st, sqlite3_stmt *q, int c, int64_t id, char **b,
    size_t *cap_r, const char **text_r)
{
	char tag[TEXT_TAG];
	int64_t at, len;

	if (sqlite3_column_type(q, c + 1) == SQLITE_NULL) {
		*text_r = col_str(q, c);
		return 0;
	}
	at = sqlite3_column_int64(q, c + 1);
	len = sqlite3_column_int64(q, c + 2);
	if (st->raw && at >= 0 && len >= 0 && (uint64_t)len < SIZE_MAX / 4) {
		if ((size_t)len + TEXT_TAG + 1 > *cap_r) {
			free(*b);
			*cap_r = (size_t)len + TEXT_TAG + 1;
			*b = xmalloc(*cap_r);
		}
		if (rawfile_pread(st->raw, at, *b, TEXT_TAG + (size_t)len) ==
		    0) {
			text_tag(tag, (const char *)sqlite3_column_text(q,
			    c + 3));
			if (memcmp(*b, tag, TEXT_TAG) == 0 &&
			    !memchr(*b + TEXT_TAG, '\0', (size_t)len)) {
				(*b)[TEXT_TAG + len] = '\0';
				*text_r = *b + TEXT_TAG;
				return 0;
			}
		}
	}
	log_err("store '%s': item %" PRId64 ": its text in '%s%s' is not the"
	    " one stored", st->path, id, st->path, STORE_RAW_SUFFIX);
	return -1;
}

int
store_items(struct store *st, const struct store_query *q,
    int (*cb)(void *ctx, const struct store_item *it), void *ctx)
{
	struct buf lb = BUF_INIT(0);
	const char **labels = NULL;
	char *tb = NULL;
	size_t labels_cap = 0, tb_cap = 0;
	sqlite3_stmt *s;
	int ret = -1;
	int rc;

	/* the statement is shared: a nested call would reset it under us */
	if (st->in_items) {
		log_err("store '%s': store_items called from its own"
		    " callback", st->path);
		return -1;
	}
	s = st->stmt[q->label ? ST_ITEMS_LABEL : ST_ITEMS];
	/* open ends as the widest range, so the received index serves
	 * every query */
	sqlite3_bind_int64(s, 1, q->since ? q->since : INT64_MIN);
	sqlite3_bind_int64(s, 2, q->until ? q->until : INT64_MAX);
	if (q->label)
		bind_str(s, 3, q->label);
	sqlite3_bind_int64(s, 4, q->msg_id);
	st->in_items = 1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_item it = {
			.id = sqlite3_column_int64(s, 0),
			.msg_id = sqlite3_column_int64(s, 1),
			.message_id = (const char *)sqlite3_column_text(s, 2),
			.msg_source = col_str(s, 3),
			.subject = col_str(s, 4),
			.from = col_str(s, 5),
			.received = sqlite3_column_int64(s, 6),
			.title = col_str(s, 7),
			.date = sqlite3_column_int64(s, 8),
			.url = (const char *)sqlite3_column_text(s, 9),
			.source = col_str(s, 14),
			.words = (unsigned)sqlite3_column_int64(s, 15),
		};

		if (row_text(st, s, 10, it.id, &tb, &tb_cap, &it.text) < 0)
			goto out;
		it.n_labels = split_labels(
		    (const char *)sqlite3_column_text(s, 16), &lb, &labels,
		    &labels_cap);
		it.labels = labels;
		rc = cb(ctx, &it);
		if (rc) {
			ret = rc;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		store_log(st, "list items");
		goto out;
	}
	ret = 0;
out:
	st->in_items = 0;
	stmt_done(s);
	free(labels);
	free(tb);
	buf_free(&lb);
	return ret;
}

int
store_count_messages(struct store *st, int64_t *n_r)
{
	sqlite3_stmt *s = st->stmt[ST_COUNT_MSGS];
	int ret = -1;

	if (sqlite3_step(s) != SQLITE_ROW) {
		store_log(st, "count messages");
		goto out;
	}
	*n_r = sqlite3_column_int64(s, 0);
	ret = 0;
out:
	stmt_done(s);
	return ret;
}

int
store_folder_get(struct store *st, const char *account, const char *folder,
    uint32_t *uidvalidity_r, uint32_t *last_uid_r)
{
	sqlite3_stmt *s = st->stmt[ST_FOLDER_GET];
	int ret = -1;
	int rc;

	*uidvalidity_r = 0;
	*last_uid_r = 0;
	bind_str(s, 1, account);
	bind_str(s, 2, folder);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*uidvalidity_r = (uint32_t)sqlite3_column_int64(s, 0);
		*last_uid_r = (uint32_t)sqlite3_column_int64(s, 1);
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		ret = 1;
	} else {
		store_log(st, "read folder state");
	}
	stmt_done(s);
	return ret;
}

int
store_folder_set(struct store *st, const char *account, const char *folder,
    uint32_t uidvalidity, uint32_t last_uid, int64_t now, const char *result)
{
	sqlite3_stmt *s = st->stmt[ST_FOLDER_SET];

	bind_str(s, 1, account);
	bind_str(s, 2, folder);
	sqlite3_bind_int64(s, 3, uidvalidity);
	sqlite3_bind_int64(s, 4, last_uid);
	sqlite3_bind_int64(s, 5, now);
	bind_str(s, 6, result);
	return exec_simple(st, ST_FOLDER_SET, "save folder state");
}

int
store_folder_result(struct store *st, const char *account,
    const char *folder, int64_t now, const char *result)
{
	sqlite3_stmt *s = st->stmt[ST_FOLDER_RESULT];

	bind_str(s, 1, account);
	bind_str(s, 2, folder);
	sqlite3_bind_int64(s, 3, now);
	bind_str(s, 4, result);
	return exec_simple(st, ST_FOLDER_RESULT, "save folder result");
}

int
store_pending_add(struct store *st, const char *account, const char *folder,
    uint32_t uidvalidity, uint32_t uid, const char *action)
{
	sqlite3_stmt *s = st->stmt[ST_PENDING_ADD];

	bind_str(s, 1, account);
	bind_str(s, 2, folder);
	sqlite3_bind_int64(s, 3, uidvalidity);
	sqlite3_bind_int64(s, 4, uid);
	bind_str(s, 5, action);
	return exec_simple(st, ST_PENDING_ADD, "record pending action");
}

int
store_pending_list(struct store *st, const char *account, const char *folder,
    struct store_pending **v_r, size_t *n_r)
{
	sqlite3_stmt *s = st->stmt[ST_PENDING_LIST];
	struct store_pending *v = NULL;
	size_t n = 0, cap = 0;
	int ret = -1;
	int rc;

	bind_str(s, 1, account);
	bind_str(s, 2, folder);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		xgrow(&v, n, &cap, sizeof(*v));
		v[n].uidvalidity = (uint32_t)sqlite3_column_int64(s, 0);
		v[n].uid = (uint32_t)sqlite3_column_int64(s, 1);
		v[n].action = xstrdup(col_str(s, 2));
		n++;
	}
	if (rc != SQLITE_DONE) {
		store_log(st, "list pending actions");
		store_pending_free(&v, n);
		n = 0;
		goto out;
	}
	ret = 0;
out:
	stmt_done(s);
	*v_r = v;
	*n_r = n;
	return ret;
}

void
store_pending_free(struct store_pending **v, size_t n)
{
	size_t i;

	if (!*v)
		return;
	for (i = 0; i < n; i++)
		free((*v)[i].action);
	free(*v);
	*v = NULL;
}

int
store_pending_del(struct store *st, const char *account, const char *folder,
    uint32_t uid)
{
	sqlite3_stmt *s = st->stmt[ST_PENDING_DEL];

	bind_str(s, 1, account);
	bind_str(s, 2, folder);
	sqlite3_bind_int64(s, 3, uid);
	return exec_simple(st, ST_PENDING_DEL, "delete pending action");
}

int
store_pending_drop_stale(struct store *st, const char *account,
    const char *folder, uint32_t uidvalidity)
{
	sqlite3_stmt *s = st->stmt[ST_PENDING_DROP];

	bind_str(s, 1, account);
	bind_str(s, 2, folder);
	sqlite3_bind_int64(s, 3, uidvalidity);
	return exec_simple(st, ST_PENDING_DROP, "drop stale pending actions");
}

int
store_raw_batch(struct store *st, int64_t after_id, size_t max,
    int (*cb)(void *ctx, int64_t id, const char *raw, size_t len),
    void *ctx, int64_t *last_id_r, size_t *n_r)
{
	sqlite3_stmt *s = st->stmt[ST_RAW_BATCH];
	size_t n = 0;
	int ret = -1;
	int rc;

	*last_id_r = after_id;
	sqlite3_bind_int64(s, 1, after_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *raw;
		size_t len;

		if (row_raw(st, s, 1, id, &raw, &len) < 0)
			goto out;
		*last_id_r = id;
		n++;
		rc = cb(ctx, id, raw, len);
		if (rc) {
			ret = rc;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		store_log(st, "read messages");
		goto out;
	}
	ret = 0;
out:
	stmt_done(s);
	*n_r = n;
	return ret;
}

/* Queues the raw-file bytes of msg_id's items' text to be freed. */
static int
text_holes(struct store *st, int64_t msg_id)
{
	sqlite3_stmt *q = st->stmt[ST_TEXT_WHERE];
	int rc;

	sqlite3_bind_int64(q, 1, msg_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		raw_hole(st, sqlite3_column_int64(q, 0),
		    TEXT_TAG + sqlite3_column_int64(q, 1));
	stmt_done(q);
	if (rc != SQLITE_DONE) {
		store_log(st, "find items");
		return -1;
	}
	return 0;
}

int
store_delete_items(struct store *st, int64_t msg_id)
{
	sqlite3_stmt *s = st->stmt[ST_DEL_ITEMS];

	if (text_holes(st, msg_id) < 0)
		return -1;
	sqlite3_bind_int64(s, 1, msg_id);
	return exec_simple(st, ST_DEL_ITEMS, "delete items");
}

int
store_set_fields(struct store *st, int64_t msg_id,
    const struct store_msg *m)
{
	sqlite3_stmt *s = st->stmt[ST_SET_FIELDS];

	sqlite3_bind_int64(s, 1, msg_id);
	bind_text(s, 2, m->message_id);
	bind_str(s, 3, m->subject);
	bind_str(s, 4, m->from);
	sqlite3_bind_int64(s, 5, m->date);
	return exec_simple(st, ST_SET_FIELDS, "update message");
}

void
store_sub_clear(struct store_sub *s)
{
	size_t i;

	free(s->address);
	free(s->name);
	if (s->token)
		explicit_bzero(s->token, strlen(s->token));
	free(s->token);
	for (i = 0; i < s->n_cats; i++) {
		free(s->cats[i].category);
		free(s->cats[i].mode);
	}
	free(s->cats);
	memset(s, 0, sizeof(*s));
}

void
store_sub_free(struct store_sub **v, size_t n)
{
	size_t i;

	if (!*v)
		return;
	for (i = 0; i < n; i++)
		store_sub_clear(&(*v)[i]);
	free(*v);
	*v = NULL;
}

/* Loads s's categories; 0 or -1. */
static int
sub_load_cats(struct store *st, struct store_sub *s)
{
	sqlite3_stmt *q = st->stmt[ST_SUB_CATS];
	size_t cap = 0;
	int ret = -1;
	int rc;

	sqlite3_bind_int64(q, 1, s->id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		xgrow(&s->cats, s->n_cats, &cap, sizeof(*s->cats));
		s->cats[s->n_cats].category = xstrdup(col_str(q, 0));
		s->cats[s->n_cats].mode = xstrdup(col_str(q, 1));
		s->n_cats++;
	}
	if (rc != SQLITE_DONE) {
		store_log(st, "read subscriptions");
		goto out;
	}
	ret = 0;
out:
	stmt_done(q);
	return ret;
}

static void
sub_from_row(sqlite3_stmt *q, struct store_sub *s)
{
	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(q, 0);
	s->address = xstrdup(col_str(q, 1));
	s->name = xstrdup(col_str(q, 2));
	s->confirmed = sqlite3_column_int(q, 3);
	s->token = xstrdup(col_str(q, 4));
	s->created = sqlite3_column_int64(q, 5);
	s->changed = sqlite3_column_int64(q, 6);
}

static int
sub_get_by(struct store *st, enum stmt which, const char *v,
    struct store_sub *s_r)
{
	sqlite3_stmt *q = st->stmt[which];
	int ret = -1;
	int rc;

	memset(s_r, 0, sizeof(*s_r));
	bind_str(q, 1, v);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		ret = 1;
	} else if (rc == SQLITE_ROW) {
		sub_from_row(q, s_r);
		ret = 0;
	} else {
		store_log(st, "look up subscriber");
	}
	stmt_done(q);
	if (ret == 0 && sub_load_cats(st, s_r) < 0) {
		store_sub_clear(s_r);
		ret = -1;
	}
	return ret;
}

int
store_sub_get(struct store *st, const char *address, struct store_sub *s_r)
{
	return sub_get_by(st, ST_SUB_GET, address, s_r);
}

int
store_sub_by_token(struct store *st, const char *token,
    struct store_sub *s_r)
{
	return sub_get_by(st, ST_SUB_BY_TOKEN, token, s_r);
}

/* The rows of q (list or page) with their categories. */
static int
sub_rows(struct store *st, sqlite3_stmt *q, struct store_sub **v_r,
    size_t *n_r)
{
	struct store_sub *v = NULL;
	size_t n = 0, cap = 0, i;
	int ret = -1;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		xgrow(&v, n, &cap, sizeof(*v));
		sub_from_row(q, &v[n++]);
	}
	stmt_done(q);
	if (rc != SQLITE_DONE) {
		store_log(st, "list subscribers");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (sub_load_cats(st, &v[i]) < 0)
			goto out;
	ret = 0;
out:
	if (ret < 0) {
		store_sub_free(&v, n);
		n = 0;
	}
	*v_r = v;
	*n_r = n;
	return ret;
}

int
store_sub_list(struct store *st, struct store_sub **v_r, size_t *n_r)
{
	return sub_rows(st, st->stmt[ST_SUB_LIST], v_r, n_r);
}

int
store_sub_page(struct store *st, int64_t after_id, size_t max,
    struct store_sub **v_r, size_t *n_r)
{
	sqlite3_stmt *q = st->stmt[ST_SUB_PAGE];

	sqlite3_bind_int64(q, 1, after_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)max);
	return sub_rows(st, q, v_r, n_r);
}

int
store_sub_add(struct store *st, const char *address, const char *name,
    int confirmed, const char *token, int64_t now, int64_t *id_r)
{
	sqlite3_stmt *q = st->stmt[ST_SUB_ADD];

	bind_str(q, 1, address);
	bind_str(q, 2, name);
	sqlite3_bind_int(q, 3, confirmed ? 1 : 0);
	bind_str(q, 4, token);
	sqlite3_bind_int64(q, 5, now);
	if (exec_simple(st, ST_SUB_ADD, "add subscriber") < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return 1;
	*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_sub_set_name(struct store *st, int64_t id, const char *name,
    int64_t now)
{
	sqlite3_stmt *q = st->stmt[ST_SUB_NAME];

	sqlite3_bind_int64(q, 1, id);
	bind_str(q, 2, name);
	sqlite3_bind_int64(q, 3, now);
	return exec_simple(st, ST_SUB_NAME, "rename subscriber");
}

int
store_sub_confirm(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *q = st->stmt[ST_SUB_CONFIRM];

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	return exec_simple(st, ST_SUB_CONFIRM, "confirm subscriber");
}

int
store_sub_set_cats(struct store *st, int64_t id, const char *const *cats,
    const char *const *modes, size_t n)
{
	sqlite3_stmt *q = st->stmt[ST_SUB_CLEAR_CATS];
	size_t i;

	sqlite3_bind_int64(q, 1, id);
	if (exec_simple(st, ST_SUB_CLEAR_CATS, "clear subscriptions") < 0)
		return -1;
	q = st->stmt[ST_SUB_ADD_CAT];
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(q, 1, id);
		bind_str(q, 2, cats[i]);
		bind_str(q, 3, modes[i]);
		if (exec_simple(st, ST_SUB_ADD_CAT, "add subscription") < 0)
			return -1;
	}
	return 0;
}

int
store_sub_del_cat(struct store *st, int64_t id, const char *category)
{
	sqlite3_stmt *q = st->stmt[ST_SUB_DEL_CAT];

	sqlite3_bind_int64(q, 1, id);
	bind_str(q, 2, category);
	return exec_simple(st, ST_SUB_DEL_CAT, "remove subscription");
}

int
store_sub_remove(struct store *st, int64_t id)
{
	sqlite3_stmt *q = st->stmt[ST_SUB_DEL];

	sqlite3_bind_int64(q, 1, id);
	return exec_simple(st, ST_SUB_DEL, "remove subscriber");
}

int
store_outbox_add(struct store *st, int64_t sub_id, const char *kind,
    const char *key, int64_t msg_id, const char *rcpt, const char *body,
    size_t len, int64_t now)
{
	sqlite3_stmt *q = st->stmt[ST_OUT_ADD];

	sqlite3_bind_int64(q, 1, sub_id);
	bind_str(q, 2, kind);
	bind_str(q, 3, key);
	sqlite3_bind_int64(q, 4, msg_id);
	bind_str(q, 5, rcpt);
	sqlite3_bind_blob64(q, 6, len ? body : "", (sqlite3_uint64)len,
	    SQLITE_STATIC);
	sqlite3_bind_int64(q, 7, now);
	if (exec_simple(st, ST_OUT_ADD, "queue message") < 0)
		return -1;
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

int
store_outbox_has(struct store *st, int64_t sub_id, const char *kind,
    const char *key)
{
	sqlite3_stmt *q = st->stmt[ST_OUT_HAS];
	int ret = -1;
	int rc;

	sqlite3_bind_int64(q, 1, sub_id);
	bind_str(q, 2, kind);
	bind_str(q, 3, key);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		ret = 1;
	else if (rc == SQLITE_DONE)
		ret = 0;
	else
		store_log(st, "look up outbox");
	stmt_done(q);
	return ret;
}

void
store_out_clear(struct store_out *o)
{
	free(o->kind);
	free(o->key);
	free(o->rcpt);
	free(o->body);
	memset(o, 0, sizeof(*o));
}

int
store_outbox_next(struct store *st, int64_t now, int64_t after_id,
    struct store_out *o_r)
{
	sqlite3_stmt *q = st->stmt[ST_OUT_NEXT];
	int ret = -1;
	int rc;

	memset(o_r, 0, sizeof(*o_r));
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, after_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		ret = 1;
	} else if (rc == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(q, 5);
		size_t len = (size_t)sqlite3_column_bytes(q, 5);

		o_r->id = sqlite3_column_int64(q, 0);
		o_r->sub_id = sqlite3_column_int64(q, 1);
		o_r->kind = xstrdup(col_str(q, 2));
		o_r->key = xstrdup(col_str(q, 3));
		o_r->rcpt = xstrdup(col_str(q, 4));
		o_r->body = xmalloc(len + 1);
		if (len)
			memcpy(o_r->body, b, len);
		o_r->body[len] = '\0';
		o_r->len = len;
		o_r->attempts = (unsigned)sqlite3_column_int(q, 6);
		ret = 0;
	} else {
		store_log(st, "read outbox");
	}
	stmt_done(q);
	return ret;
}

int
store_outbox_sent(struct store *st, int64_t id, int64_t now,
    const char *reply)
{
	sqlite3_stmt *q = st->stmt[ST_OUT_SENT];

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	bind_str(q, 3, reply);
	return exec_simple(st, ST_OUT_SENT, "mark message sent");
}

int
store_outbox_retry(struct store *st, int64_t id, int64_t next_try,
    const char *reply)
{
	sqlite3_stmt *q = st->stmt[ST_OUT_RETRY];

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, next_try);
	bind_str(q, 3, reply);
	return exec_simple(st, ST_OUT_RETRY, "defer message");
}

int
store_outbox_failed(struct store *st, int64_t id, const char *reply)
{
	sqlite3_stmt *q = st->stmt[ST_OUT_FAILED];

	sqlite3_bind_int64(q, 1, id);
	bind_str(q, 2, reply);
	return exec_simple(st, ST_OUT_FAILED, "mark message failed");
}

int
store_set_durable(struct store *st, int full)
{
	/* per connection, between transactions; no I/O of its own */
	if (sqlite3_exec(st->db, full ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
		store_log(st, "set synchronous");
		return -1;
	}
	return 0;
}

int
store_set_cache(struct store *st, unsigned kb)
{
	char *sql = xasprintf("PRAGMA cache_size = -%u", kb);
	int ret = 0;

	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_log(st, "set cache_size");
		ret = -1;
	}
	free(sql);
	return ret;
}

int
store_sync(struct store *st)
{
	sqlite3_file *log = NULL;

	/* the bytes the commits name first */
	if (st->raw && rawfile_sync(st->raw) < 0)
		return -1;
	/* in WAL mode the "journal" is the log; nothing written yet, no
	 * log to sync */
	if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
	    &log) != SQLITE_OK) {
		store_log(st, "find the write-ahead log");
		return -1;
	}
	if (!log || !log->pMethods)
		return 0;
	if (log->pMethods->xSync(log, SQLITE_SYNC_NORMAL) != SQLITE_OK) {
		log_err("cannot sync the log of store '%s'", st->path);
		return -1;
	}
	return 0;
}

/*
 * The checkpointer: a thread with a connection of its own copies the log
 * into the database (PASSIVE: it never takes the write lock) while the
 * writer goes on.  A WAL file only starts over when a writer finds it
 * wholly copied, which never happens while the writer keeps up with the
 * thread; so once a pass is over, the writer copies the little written
 * since itself, and its next transaction starts the log over.
 */
#define CKPT_FRAMES 1000        /* log frames that start a pass */
#define CKPT_MAX_FRAMES 3000    /* the writer waits, then copies */
#define CKPT_CATCH_UP 384       /* frames the writer copies itself */

struct ckpt {
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int busy;       /* a pass is asked for or running */
	int passed;     /* a pass ended since the writer caught up */
	int copied;     /* log frames that pass left copied */
	int stop;
	char *path;     /* for messages */
};

static void *
ckpt_main(void *arg)
{
	struct ckpt *ck = arg;
	int rc, copied;

	pthread_mutex_lock(&ck->mu);
	for (;;) {
		while (!ck->busy && !ck->stop)
			pthread_cond_wait(&ck->cv, &ck->mu);
		if (!ck->busy)
			break;
		pthread_mutex_unlock(&ck->mu);
		rc = sqlite3_wal_checkpoint_v2(ck->db, "main",
		    SQLITE_CHECKPOINT_PASSIVE, NULL, &copied);
		/* busy: another process checkpoints; its pass does as well */
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warn("store '%s': checkpoint: %s", ck->path,
			    sqlite3_errmsg(ck->db));
		pthread_mutex_lock(&ck->mu);
		ck->busy = 0;
		ck->passed = 1;
		ck->copied = rc == SQLITE_OK && copied > 0 ? copied : 0;
		pthread_cond_broadcast(&ck->cv);
	}
	pthread_mutex_unlock(&ck->mu);
	return NULL;
}

/* After each commit of the writer, in its thread. */
static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct ckpt *ck = arg;
	int catch_up = 0;

	if (frames < CKPT_FRAMES)
		return SQLITE_OK;
	pthread_mutex_lock(&ck->mu);
	/* the log is long: let the pass end, then copy the rest here */
	while (ck->busy && frames >= CKPT_MAX_FRAMES)
		pthread_cond_wait(&ck->cv, &ck->mu);
	if (!ck->busy) {
		/* little left since the last pass: copy it here and now */
		if (ck->passed && (frames - ck->copied <= CKPT_CATCH_UP ||
		    frames >= CKPT_MAX_FRAMES)) {
			catch_up = 1;
			ck->copied = 0;         /* the log starts over */
		} else {
			ck->busy = 1;
			pthread_cond_signal(&ck->cv);
		}
		ck->passed = 0;
	}
	pthread_mutex_unlock(&ck->mu);
	/* what came in during the pass: small, and its fsyncs cheap */
	if (catch_up)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
	return SQLITE_OK;
}

static void
ckpt_free(struct ckpt *ck)
{
	if (!ck)
		return;
	sqlite3_close(ck->db);
	pthread_cond_destroy(&ck->cv);
	pthread_mutex_destroy(&ck->mu);
	free(ck->path);
	free(ck);
}

int
store_checkpointer_start(struct store *st)
{
	struct ckpt *ck;

	if (st->ck)
		return 0;
	ck = xcalloc(1, sizeof(*ck));
	ck->path = xstrdup(st->path);
	pthread_mutex_init(&ck->mu, NULL);
	pthread_cond_init(&ck->cv, NULL);
	if (sqlite3_open_v2(st->path, &ck->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_err("store '%s': cannot open for checkpoints: %s",
		    st->path, ck->db ? sqlite3_errmsg(ck->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(ck->db, 10000);
	/* a connection finds the log at its first read; until then its
	 * checkpoints do nothing */
	if (sqlite3_exec(ck->db, "SELECT 1 FROM sqlite_master LIMIT 1", NULL,
	    NULL, NULL) != SQLITE_OK) {
		log_err("store '%s': cannot open for checkpoints: %s",
		    st->path, sqlite3_errmsg(ck->db));
		goto fail;
	}
	if (pthread_create(&ck->thread, NULL, ckpt_main, ck) != 0) {
		log_err("store '%s': cannot start the checkpointer", st->path);
		goto fail;
	}
	st->ck = ck;
	/* replaces the automatic checkpoint, itself a WAL hook */
	sqlite3_wal_hook(st->db, ckpt_hook, ck);
	return 0;
fail:
	ckpt_free(ck);
	return -1;
}

void
store_checkpointer_stop(struct store *st)
{
	struct ckpt *ck = st->ck;

	if (!ck)
		return;
	/* back to checkpoints at commit, then no more passes */
	sqlite3_wal_autocheckpoint(st->db, CKPT_FRAMES);
	pthread_mutex_lock(&ck->mu);
	ck->stop = 1;
	pthread_cond_broadcast(&ck->cv);
	pthread_mutex_unlock(&ck->mu);
	pthread_join(ck->thread, NULL);
	ckpt_free(ck);
	st->ck = NULL;
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

int64_t
store_last_id(const struct store *st)
{
	return (int64_t)sqlite3_last_insert_rowid(st->db);
}

/* The integer statement which finds for key: 0 with *v_r, 1 when there
 * is no row (*v_r 0), -1 on error (logged as failing to `what`). */
static int
lookup_int64(struct store *st, enum stmt which, const char *key,
    int64_t *v_r, const char *what)
{
	sqlite3_stmt *q = st->stmt[which];
	int ret = -1;
	int rc;

	*v_r = 0;
	bind_str(q, 1, key);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*v_r = sqlite3_column_int64(q, 0);
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		ret = 1;
	} else {
		store_log(st, what);
	}
	stmt_done(q);
	return ret;
}

int
store_mark_get(struct store *st, const char *name, int64_t *v_r)
{
	/* an unset mark reads 0 */
	return lookup_int64(st, ST_MARK_GET, name, v_r, "read mark") < 0 ?
	    -1 : 0;
}

int
store_mark_set(struct store *st, const char *name, int64_t v)
{
	sqlite3_stmt *q = st->stmt[ST_MARK_SET];

	bind_str(q, 1, name);
	sqlite3_bind_int64(q, 2, v);
	return exec_simple(st, ST_MARK_SET, "save mark");
}

int
store_messages_after(struct store *st, int64_t after_id, size_t max,
    int (*cb)(void *ctx, int64_t id, const char *subject, const char *from,
    int64_t received), void *ctx)
{
	sqlite3_stmt *q = st->stmt[ST_MSGS_AFTER];
	int ret = -1;
	int rc;

	sqlite3_bind_int64(q, 1, after_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		rc = cb(ctx, sqlite3_column_int64(q, 0), col_str(q, 1),
		    col_str(q, 2), sqlite3_column_int64(q, 3));
		if (rc) {
			ret = rc;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		store_log(st, "list messages");
		goto out;
	}
	ret = 0;
out:
	stmt_done(q);
	return ret;
}

int
store_mark_command(struct store *st, int64_t msg_id, const char *result)
{
	sqlite3_stmt *q = st->stmt[ST_CMD_ADD];

	sqlite3_bind_int64(q, 1, msg_id);
	bind_str(q, 2, result);
	if (exec_simple(st, ST_CMD_ADD, "record command") < 0)
		return -1;
	return store_delete_items(st, msg_id);
}

/* --- operations: status, retention, export, import --- */

/* Steps q (bound by the caller) calling row(st, q, cb, ctx) per row;
 * resets q.  Returns 0, the callback's non-zero value, or -1. */
static int
each_row(struct store *st, sqlite3_stmt *q, const char *what,
    int (*row)(sqlite3_stmt *q, void *cb, void *ctx), void *cb, void *ctx)
{
	int ret = -1;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		rc = row(q, cb, ctx);
		if (rc) {
			ret = rc;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		store_log(st, what);
		goto out;
	}
	ret = 0;
out:
	stmt_done(q);
	return ret;
}

/* Function pointers cannot pass through void *: each callback type is
 * wrapped in a struct. */
struct run_cb { int (*fn)(void *, const struct store_run *); };
struct folder_cb { int (*fn)(void *, const struct store_folder *); };
struct count_cb { int (*fn)(void *, const char *, int64_t); };
struct out_cb { int (*fn)(void *, const struct store_out_row *); };
struct subcount_cb { int (*fn)(void *, const char *, int, int64_t); };
struct prune_cb { int (*fn)(void *, const struct store_prune_msg *); };
struct mark_cb { int (*fn)(void *, const char *, int64_t); };

int
store_begin_read(struct store *st)
{
	return exec_simple(st, ST_BEGIN_READ, "begin");
}

int
store_run_add(struct store *st, const struct store_run *r, int64_t *id_r)
{
	sqlite3_stmt *q = st->stmt[ST_RUN_ADD];

	bind_str(q, 1, r->command);
	sqlite3_bind_int64(q, 2, r->started);
	sqlite3_bind_int64(q, 3, r->finished);
	sqlite3_bind_int(q, 4, r->result);
	bind_str(q, 5, r->message);
	if (exec_simple(st, ST_RUN_ADD, "record run") < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_run_end(struct store *st, int64_t id, int64_t finished, int result,
    const char *message)
{
	sqlite3_stmt *q = st->stmt[ST_RUN_END];

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, finished);
	sqlite3_bind_int(q, 3, result);
	bind_str(q, 4, message);
	return exec_simple(st, ST_RUN_END, "record end of run");
}

int
store_run_del(struct store *st, int64_t id)
{
	sqlite3_stmt *q = st->stmt[ST_RUN_DEL];

	sqlite3_bind_int64(q, 1, id);
	return exec_simple(st, ST_RUN_DEL, "forget run");
}

static int
run_row(sqlite3_stmt *q, void *cb, void *ctx)
{
	struct store_run r = {
		.id = sqlite3_column_int64(q, 0),
		.command = col_str(q, 1),
		.started = sqlite3_column_int64(q, 2),
		.finished = sqlite3_column_int64(q, 3),
		.result = sqlite3_column_int(q, 4),
		.message = col_str(q, 5),
	};

	return ((struct run_cb *)cb)->fn(ctx, &r);
}

int
store_runs_latest(struct store *st, int finished_only,
    int (*cb)(void *ctx, const struct store_run *r), void *ctx)
{
	sqlite3_stmt *q = st->stmt[ST_RUNS_LATEST];
	struct run_cb c = { cb };

	sqlite3_bind_int(q, 1, finished_only ? 1 : 0);
	return each_row(st, q, "list runs", run_row, &c, ctx);
}

int
store_runs_prune(struct store *st, int64_t before)
{
	sqlite3_stmt *q = st->stmt[ST_RUNS_PRUNE];

	sqlite3_bind_int64(q, 1, before);
	return exec_simple(st, ST_RUNS_PRUNE, "forget old runs");
}

static int
folder_row(sqlite3_stmt *q, void *cb, void *ctx)
{
	struct store_folder f = {
		.account = col_str(q, 0),
		.folder = col_str(q, 1),
		.uidvalidity = (uint32_t)sqlite3_column_int64(q, 2),
		.last_uid = (uint32_t)sqlite3_column_int64(q, 3),
		.last_run = sqlite3_column_int64(q, 4),
		.last_result = col_str(q, 5),
	};

	return ((struct folder_cb *)cb)->fn(ctx, &f);
}

int
store_folders(struct store *st,
    int (*cb)(void *ctx, const struct store_folder *f), void *ctx)
{
	struct folder_cb c = { cb };

	return each_row(st, st->stmt[ST_FOLDERS], "list folders", folder_row,
	    &c, ctx);
}

int
store_folder_import(struct store *st, const struct store_folder *f)
{
	sqlite3_stmt *q = st->stmt[ST_FOLDER_IMP];

	bind_str(q, 1, f->account);
	bind_str(q, 2, f->folder);
	sqlite3_bind_int64(q, 3, f->uidvalidity);
	sqlite3_bind_int64(q, 4, f->last_uid);
	sqlite3_bind_int64(q, 5, f->last_run);
	bind_str(q, 6, f->last_result);
	if (exec_simple(st, ST_FOLDER_IMP, "add folder state") < 0)
		return -1;
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

/* One int64 from a one-row statement. */
static int
count_one(struct store *st, sqlite3_stmt *q, const char *what, int64_t *n_r)
{
	int ret = -1;

	*n_r = 0;
	if (sqlite3_step(q) != SQLITE_ROW) {
		store_log(st, what);
		goto out;
	}
	*n_r = sqlite3_column_int64(q, 0);
	ret = 0;
out:
	stmt_done(q);
	return ret;
}

int
store_count_items(struct store *st, int64_t since, int64_t until,
    int64_t *n_r)
{
	sqlite3_stmt *q = st->stmt[ST_COUNT_ITEMS];

	sqlite3_bind_int64(q, 1, since);
	sqlite3_bind_int64(q, 2, until);
	return count_one(st, q, "count items", n_r);
}

static int
count_row(sqlite3_stmt *q, void *cb, void *ctx)
{
	return ((struct count_cb *)cb)->fn(ctx, col_str(q, 0),
	    sqlite3_column_int64(q, 1));
}

int
store_count_labels(struct store *st, int64_t since, int64_t until,
    int (*cb)(void *ctx, const char *category, int64_t n), void *ctx)
{
	sqlite3_stmt *q = st->stmt[ST_COUNT_LABELS];
	struct count_cb c = { cb };

	sqlite3_bind_int64(q, 1, since);
	sqlite3_bind_int64(q, 2, until);
	return each_row(st, q, "count labels", count_row, &c, ctx);
}

int
store_outbox_count(struct store *st, struct store_outbox_counts *c_r)
{
	sqlite3_stmt *q = st->stmt[ST_OUT_COUNTS];
	int ret = -1;

	memset(c_r, 0, sizeof(*c_r));
	if (sqlite3_step(q) != SQLITE_ROW) {
		store_log(st, "count outbox");
		goto out;
	}
	c_r->queued = sqlite3_column_int64(q, 0);
	c_r->retrying = sqlite3_column_int64(q, 1);
	c_r->failed = sqlite3_column_int64(q, 2);
	c_r->sent = sqlite3_column_int64(q, 3);
	ret = 0;
out:
	stmt_done(q);
	return ret;
}

static int
problem_row(sqlite3_stmt *q, void *cb, void *ctx)
{
	struct store_out_row o = {
		.kind = col_str(q, 0),
		.key = col_str(q, 1),
		.rcpt = col_str(q, 2),
		.state = col_str(q, 3),
		.attempts = (unsigned)sqlite3_column_int(q, 4),
		.next_try = sqlite3_column_int64(q, 5),
		.reply = col_str(q, 6),
		.created = sqlite3_column_int64(q, 7),
	};

	o.address = o.rcpt;
	o.body = "";
	return ((struct out_cb *)cb)->fn(ctx, &o);
}

int
store_outbox_problems(struct store *st, size_t max,
    int (*cb)(void *ctx, const struct store_out_row *o), void *ctx)
{
	sqlite3_stmt *q = st->stmt[ST_OUT_PROBLEMS];
	struct out_cb c = { cb };

	sqlite3_bind_int64(q, 1, (sqlite3_int64)max);
	return each_row(st, q, "list outbox problems", problem_row, &c, ctx);
}

static int
out_row(sqlite3_stmt *q, void *cb, void *ctx)
{
	const void *b = sqlite3_column_blob(q, 11);
	struct store_out_row o = {
		.address = col_str(q, 0),
		.kind = col_str(q, 1),
		.key = col_str(q, 2),
		.msg_hash = (const char *)sqlite3_column_text(q, 3),
		.rcpt = col_str(q, 4),
		.state = col_str(q, 5),
		.attempts = (unsigned)sqlite3_column_int(q, 6),
		.next_try = sqlite3_column_int64(q, 7),
		.reply = col_str(q, 8),
		.created = sqlite3_column_int64(q, 9),
		.sent = sqlite3_column_int64(q, 10),
	};

	o.len = (size_t)sqlite3_column_bytes(q, 11);
	o.body = b ? b : "";
	return ((struct out_cb *)cb)->fn(ctx, &o);
}

int
store_outbox_rows(struct store *st,
    int (*cb)(void *ctx, const struct store_out_row *o), void *ctx)
{
	struct out_cb c = { cb };

	return each_row(st, st->stmt[ST_EXP_OUTBOX], "read outbox", out_row,
	    &c, ctx);
}

int
store_outbox_import(struct store *st, int64_t sub_id, int64_t msg_id,
    const struct store_out_row *o)
{
	sqlite3_stmt *q = st->stmt[ST_OUT_IMP];

	sqlite3_bind_int64(q, 1, sub_id);
	bind_str(q, 2, o->kind);
	bind_str(q, 3, o->key);
	sqlite3_bind_int64(q, 4, msg_id);
	bind_str(q, 5, o->rcpt);
	sqlite3_bind_blob64(q, 6, o->len ? o->body : "",
	    (sqlite3_uint64)o->len, SQLITE_STATIC);
	bind_str(q, 7, o->state);
	sqlite3_bind_int(q, 8, (int)o->attempts);
	sqlite3_bind_int64(q, 9, o->next_try);
	bind_str(q, 10, o->reply);
	sqlite3_bind_int64(q, 11, o->created);
	sqlite3_bind_int64(q, 12, o->sent);
	if (exec_simple(st, ST_OUT_IMP, "add outbox row") < 0)
		return -1;
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

static int
subcount_row(sqlite3_stmt *q, void *cb, void *ctx)
{
	return ((struct subcount_cb *)cb)->fn(ctx, col_str(q, 0),
	    sqlite3_column_int(q, 1), sqlite3_column_int64(q, 2));
}

int
store_sub_counts(struct store *st, int (*cb)(void *ctx, const char *mode,
    int confirmed, int64_t n), void *ctx)
{
	struct subcount_cb c = { cb };

	return each_row(st, st->stmt[ST_SUB_COUNTS], "count subscribers",
	    subcount_row, &c, ctx);
}

int
store_sub_import(struct store *st, const struct store_sub *s, int64_t *id_r)
{
	sqlite3_stmt *q = st->stmt[ST_SUB_IMP];

	bind_str(q, 1, s->address);
	bind_str(q, 2, s->name);
	sqlite3_bind_int(q, 3, s->confirmed ? 1 : 0);
	bind_str(q, 4, s->token);
	sqlite3_bind_int64(q, 5, s->created);
	sqlite3_bind_int64(q, 6, s->changed);
	if (exec_simple(st, ST_SUB_IMP, "add subscriber") < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return 1;
	*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_digest_owed(struct store *st, const char *mode, const char *key)
{
	sqlite3_stmt *q = st->stmt[ST_DIGEST_OWED];
	int ret = -1;
	int rc;

	bind_str(q, 1, mode);
	bind_str(q, 2, key);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		ret = 1;
	else if (rc == SQLITE_DONE)
		ret = 0;
	else
		store_log(st, "look up digests owed");
	stmt_done(q);
	return ret;
}

static int
prune_row(sqlite3_stmt *q, void *cb, void *ctx)
{
	struct store_prune_msg m = {
		.id = sqlite3_column_int64(q, 0),
		.received = sqlite3_column_int64(q, 1),
		.subject = col_str(q, 2),
		.size = sqlite3_column_int64(q, 3),
		.n_items = sqlite3_column_int64(q, 4),
	};

	return ((struct prune_cb *)cb)->fn(ctx, &m);
}

int
store_prune_list(struct store *st, int64_t before, int64_t after_id,
    int64_t max_id, size_t max,
    int (*cb)(void *ctx, const struct store_prune_msg *m), void *ctx)
{
	sqlite3_stmt *q = st->stmt[ST_PRUNE_LIST];
	struct prune_cb c = { cb };

	sqlite3_bind_int64(q, 1, before);
	sqlite3_bind_int64(q, 2, after_id);
	sqlite3_bind_int64(q, 3, max_id);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)max);
	return each_row(st, q, "list old messages", prune_row, &c, ctx);
}

int
store_delete_message(struct store *st, int64_t id)
{
	sqlite3_stmt *q = st->stmt[ST_RAW_WHERE];
	int rc;

	/* its bytes and its items' text in the raw file are freed once
	 * the delete commits */
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		raw_hole(st, sqlite3_column_int64(q, 0),
		    sqlite3_column_int64(q, 1));
	stmt_done(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_log(st, "find message");
		return -1;
	}
	if (text_holes(st, id) < 0)
		return -1;
	/* its id may come again, with another hash */
	if (st->tag_id == id)
		st->tag_id = 0;
	q = st->stmt[ST_DEL_MSG];
	sqlite3_bind_int64(q, 1, id);
	return exec_simple(st, ST_DEL_MSG, "delete message");
}

int
store_export_messages(struct store *st, int (*cb)(void *ctx, int64_t id,
    const struct store_msg *m, const char *command), void *ctx)
{
	sqlite3_stmt *q = st->stmt[ST_EXP_MSGS];
	int ret = -1;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		struct store_msg m = {
			.hash = col_str(q, 1),
			.message_id = (const char *)sqlite3_column_text(q, 2),
			.source = col_str(q, 3),
			.subject = col_str(q, 4),
			.from = col_str(q, 5),
			.date = sqlite3_column_int64(q, 6),
			.received = sqlite3_column_int64(q, 7),
		};

		if (row_raw(st, q, 9, id, &m.raw, &m.raw_len) < 0)
			goto out;
		rc = cb(ctx, id, &m, (const char *)sqlite3_column_text(q, 8));
		if (rc) {
			ret = rc;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		store_log(st, "read messages");
		goto out;
	}
	ret = 0;
out:
	stmt_done(q);
	return ret;
}

/* The labels of one item into *v (reused), ids copied into *ids. */
static int
item_labels(struct store *st, int64_t item_id, struct label **v,
    size_t *cap, char ***ids, size_t *ids_cap, size_t *n_r)
{
	sqlite3_stmt *q = st->stmt[ST_EXP_LABELS];
	size_t n = 0, c2;
	int ret = -1;
	int rc;

	sqlite3_bind_int64(q, 1, item_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		c2 = *ids_cap;
		xgrow(v, n, cap, sizeof(**v));
		xgrow(ids, n, &c2, sizeof(**ids));
		*ids_cap = c2;
		(*ids)[n] = xstrdup(col_str(q, 0));
		(*v)[n].id = (*ids)[n];
		(*v)[n].score = sqlite3_column_int(q, 1);
		n++;
	}
	*n_r = n;
	if (rc != SQLITE_DONE) {
		store_log(st, "read labels");
		goto out;
	}
	ret = 0;
out:
	stmt_done(q);
	return ret;
}

int
store_message_items(struct store *st, int64_t msg_id,
    int (*cb)(void *ctx, unsigned seq, const struct item *it), void *ctx)
{
	sqlite3_stmt *q = st->stmt[ST_EXP_ITEMS];
	struct label *labels = NULL;
	char **ids = NULL, *tb = NULL;
	size_t cap = 0, ids_cap = 0, n = 0, i, tb_cap = 0;
	const char *text;
	int ret = -1;
	int rc;

	sqlite3_bind_int64(q, 1, msg_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct item it = {
			.title = (char *)(uintptr_t)col_str(q, 2),
			.date = sqlite3_column_int64(q, 3),
			.url = (char *)(uintptr_t)sqlite3_column_text(q, 4),
			.source = (char *)(uintptr_t)col_str(q, 5),
			.words = (unsigned)sqlite3_column_int64(q, 10),
		};

		if (row_text(st, q, 6, sqlite3_column_int64(q, 0), &tb,
		    &tb_cap, &text) < 0)
			goto out;
		it.text = (char *)(uintptr_t)text;

		for (i = 0; i < n; i++)
			free(ids[i]);
		if (item_labels(st, sqlite3_column_int64(q, 0), &labels, &cap,
		    &ids, &ids_cap, &n) < 0)
			goto out;
		it.labels = labels;
		it.n_labels = n;
		rc = cb(ctx, (unsigned)sqlite3_column_int64(q, 1), &it);
		if (rc) {
			ret = rc;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		store_log(st, "read items");
		goto out;
	}
	ret = 0;
out:
	stmt_done(q);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	free(labels);
	free(tb);
	return ret;
}

int
store_import_message(struct store *st, const struct store_msg *m,
    int64_t want_id, int64_t *id_r)
{
	sqlite3_stmt *s = st->stmt[ST_IMP_MSG];
	int64_t at = st->raw_end;
	int r, put;

	if ((r = store_message_id(st, m->hash, id_r)) <= 0)
		return r < 0 ? -1 : 1;
	if ((put = raw_put(st, m)) < 0)
		return -1;
	bind_str(s, 1, m->hash);
	bind_text(s, 2, m->message_id);
	bind_str(s, 3, m->source);
	bind_str(s, 4, m->subject);
	bind_str(s, 5, m->from);
	sqlite3_bind_int64(s, 6, m->date);
	sqlite3_bind_int64(s, 7, m->received);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)m->raw_len);
	bind_raw(s, m, at, put);
	sqlite3_bind_int64(s, 10, want_id);
	if (exec_simple(st, ST_IMP_MSG, "add message") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 1) {
		*id_r = want_id;
		raw_taken(st, (int64_t)m->raw_len, put);
		return 0;
	}
	/* the id is taken (the hash was not there): a new one */
	r = store_add_message(st, m, id_r);
	return r < 0 ? -1 : r == 0 ? 2 : 1;
}

int
store_message_id(struct store *st, const char *hash, int64_t *id_r)
{
	return lookup_int64(st, ST_MSG_ID, hash, id_r, "look up message");
}

static int
mark_row(sqlite3_stmt *q, void *cb, void *ctx)
{
	return ((struct mark_cb *)cb)->fn(ctx, col_str(q, 0),
	    sqlite3_column_int64(q, 1));
}

int
store_marks(struct store *st,
    int (*cb)(void *ctx, const char *name, int64_t v), void *ctx)
{
	struct mark_cb c = { cb };

	return each_row(st, st->stmt[ST_MARKS], "list marks", mark_row, &c,
	    ctx);
}

int
store_mark_raise(struct store *st, const char *name, int64_t v)
{
	sqlite3_stmt *q = st->stmt[ST_MARK_MAX];

	bind_str(q, 1, name);
	sqlite3_bind_int64(q, 2, v);
	return exec_simple(st, ST_MARK_MAX, "raise mark");
}
