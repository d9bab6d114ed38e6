-- Transparency log (translog.Store): one append-only Merkle log for all
-- residents. Entries name a resident only by a pseudonymous log id (a MAC
-- of the resident id under a service key that is not in the database) and
-- hold no plaintext identity data. Hashes are 32 bytes (SHA-256 or SM3, as
-- hash records); times are Unix microseconds (UTC).

-- The log's one mutable row: tree size and the compact range of the tree
-- (the concatenated roots of the perfect subtrees covering [0, tree_size),
-- left to right), the hash algorithm and the pinned blind-index key of log
-- ids. Appends compare-and-set tree_size, which serialises them.
CREATE TABLE translog_state (
	id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	hash       TEXT    NOT NULL,
	log_id_key TEXT    NOT NULL,
	tree_size  INTEGER NOT NULL CHECK (tree_size >= 0),
	compact    BLOB    NOT NULL
) STRICT;

-- One row per leaf: the canonical leaf bytes that the tree hashes, and, as
-- columns for lookups, the entry id (idempotency), the log id and the
-- resident's sequence number that the bytes contain.
CREATE TABLE translog_leaves (
	leaf_index INTEGER NOT NULL PRIMARY KEY CHECK (leaf_index >= 0),
	entry_id   TEXT    NOT NULL UNIQUE,
	log_id     TEXT    NOT NULL,
	seq        INTEGER NOT NULL CHECK (seq >= 1),
	leaf       BLOB    NOT NULL,
	UNIQUE (log_id, seq)
) STRICT;

-- Every node of every perfect subtree, level 0 being the leaf hashes:
-- written once when the subtree completes, never changed. Any inclusion or
-- consistency proof is made of such nodes.
CREATE TABLE translog_nodes (
	level INTEGER NOT NULL CHECK (level >= 0 AND level < 64),
	idx   INTEGER NOT NULL CHECK (idx >= 0),
	hash  BLOB    NOT NULL,
	PRIMARY KEY (level, idx)
) STRICT;

-- Signed checkpoints (C2SP signed notes), one per tree size, so that every
-- node serves the same ones.
CREATE TABLE translog_checkpoints (
	tree_size  INTEGER NOT NULL PRIMARY KEY CHECK (tree_size >= 0),
	root_hash  BLOB    NOT NULL,
	signed_at  INTEGER NOT NULL,
	note       BLOB    NOT NULL
) STRICT;
