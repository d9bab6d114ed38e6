-- Transparency log (translog.Store): one append-only Merkle log for all
-- residents. Entries name a resident only by a pseudonymous log id (a MAC
-- of the resident id under a service key that is not in the database) and
-- hold no plaintext identity data. Hashes are 32 bytes (SHA-256 or SM3, as
-- hash records); times are Unix microseconds (UTC) in BIGINT.

-- The log's one mutable row: tree size and the compact range of the tree
-- (the concatenated roots of the perfect subtrees covering [0, tree_size),
-- left to right), the hash algorithm and the pinned blind-index key of log
-- ids. Appends compare-and-set tree_size, which serialises them.
CREATE TABLE translog_state (
	id         BIGINT           NOT NULL PRIMARY KEY CHECK (id = 1),
	hash       TEXT COLLATE "C" NOT NULL,
	log_id_key TEXT COLLATE "C" NOT NULL,
	tree_size  BIGINT           NOT NULL CHECK (tree_size >= 0),
	compact    BYTEA            NOT NULL
);

-- One row per leaf: the canonical leaf bytes that the tree hashes, and, as
-- columns for lookups, the entry id (idempotency), the log id and the
-- resident's sequence number that the bytes contain.
CREATE TABLE translog_leaves (
	leaf_index BIGINT           NOT NULL PRIMARY KEY CHECK (leaf_index >= 0),
	entry_id   TEXT COLLATE "C" NOT NULL UNIQUE,
	log_id     TEXT COLLATE "C" NOT NULL,
	seq        BIGINT           NOT NULL CHECK (seq >= 1),
	leaf       BYTEA            NOT NULL,
	UNIQUE (log_id, seq)
);

-- Every node of every perfect subtree, level 0 being the leaf hashes:
-- written once when the subtree completes, never changed. Any inclusion or
-- consistency proof is made of such nodes.
CREATE TABLE translog_nodes (
	level BIGINT NOT NULL CHECK (level >= 0 AND level < 64),
	idx   BIGINT NOT NULL CHECK (idx >= 0),
	hash  BYTEA  NOT NULL,
	PRIMARY KEY (level, idx)
);

-- Signed checkpoints (C2SP signed notes), one per tree size, so that every
-- node serves the same ones.
CREATE TABLE translog_checkpoints (
	tree_size BIGINT NOT NULL PRIMARY KEY CHECK (tree_size >= 0),
	root_hash BYTEA  NOT NULL,
	signed_at BIGINT NOT NULL,
	note      BYTEA  NOT NULL
);
